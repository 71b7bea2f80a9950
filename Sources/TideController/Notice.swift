import Foundation
import TideCore

/// One rollout notice sent to the notification webhooks (`notify:` in tide.yaml).
public struct Notice: Sendable, Equatable {
    /// What happened; the `event` field of the JSON body.
    public enum Event: String, Sendable, CaseIterable {
        case rolloutStarted = "rollout.started"
        case waveDone = "rollout.wave_done"
        case succeeded = "rollout.succeeded"
        case breached = "rollout.breached"
        case reverted = "rollout.reverted"
        case held = "service.held"
        case paused = "rollout.paused"
    }

    public var event: Event
    public var service: String
    public var rollout: String?
    public var revision: String?
    /// The wave concerned (1-based), when any.
    public var wave: Int?
    /// One human sentence: what and why (`2 of 3 canaries failed health: exit 1`).
    public var detail: String
    public var time: Date

    public init(
        event: Event, service: String, rollout: String? = nil, revision: String? = nil, wave: Int? = nil,
        detail: String = "", time: Date = Date()
    ) {
        self.event = event
        self.service = service
        self.rollout = rollout
        self.revision = revision
        self.wave = wave
        self.detail = detail
        self.time = time
    }

    /// The request body for a target of `format`.
    public func body(for format: NotifyTarget.Format) -> Data {
        switch format {
        case .json: jsonBody()
        case .slack: slackBody()
        }
    }

    /// `{"event":..,"service":..,"rollout":..,"revision":..,"wave":..,"detail":..,"time":"2026-...Z"}`
    /// (absent values are `null`).
    public func jsonBody() -> Data {
        let stamp = ISO8601DateFormatter.string(
            from: time, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
        let object: [String: Any] = [
            "event": event.rawValue, "service": service, "rollout": rollout ?? NSNull(),
            "revision": revision ?? NSNull(), "wave": wave.map { $0 as Any } ?? NSNull(), "detail": detail, "time": stamp,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// Slack's incoming-webhook form: `{"text": "..."}` (also read by Mattermost, Rocket.Chat, Teams' Slack mode).
    public func slackBody() -> Data {
        (try? JSONSerialization.data(withJSONObject: ["text": text], options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// One line for people: `Tide: web rollout 42 breached at wave 1 (abc1234): 2 of 3 canaries failed`.
    public var text: String {
        let verb: String
        switch event {
        case .rolloutStarted: verb = "started"
        case .waveDone: verb = "finished wave \(wave.map(String.init) ?? "?")"
        case .succeeded: verb = "succeeded"
        case .breached: verb = "breached its failure threshold" + (wave.map { " at wave \($0)" } ?? "")
        case .reverted: verb = "was reverted"
        case .held: verb = "is held at its last good revision"
        case .paused: verb = "was paused"
        }
        var subject = "Tide: \(service)"
        if let rollout, event != .held { subject += " rollout \(rollout)" }
        var line = "\(subject) \(verb)"
        if let revision { line += " (\(revision.prefix(12)))" }
        if !detail.isEmpty { line += ": \(detail)" }
        return line
    }
}
