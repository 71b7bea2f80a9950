import TideCore

/// What `tide watch` follows and prints, as a value: fed each poll's rollouts and status, it answers the
/// lines to print (a progress line only when it changed; breaches, reverts and holds loudly) and the outcome.
///
/// It follows the rollouts that were active when the watch started and every rollout that appears after
/// (a push fetched after the command started), for one service or all. Not thread-safe: one owner.
public struct RolloutWatch: Sendable {
    /// Where the followed rollouts stand.
    public enum Outcome: Hashable, Sendable {
        /// Nothing followed yet and no service newly held.
        case waiting
        /// Some followed rollout has not ended.
        case running
        /// Every followed rollout ended succeeded (or superseded).
        case succeeded
        /// Some followed rollout ended failed, reverted, held or aborted, or a service became held.
        case failed
    }

    /// Only this service's rollouts, or all when nil.
    public let service: String?
    private let knownAtStart: Set<String>
    private let heldAtStart: [String: String]
    private var order: [String] = []
    private var followed: [String: RolloutSummary] = [:]
    private var lastLine: [String: String] = [:]
    private var announcedBreach: Set<String> = []
    private var newHolds: [String: String] = [:]
    /// The followed rollouts whose progress line changed in the last `observe`.
    public private(set) var changed: [RolloutSummary] = []

    /// Starts from what the controller shows now: rollouts active now are followed, the others are history.
    public init(service: String?, rollouts: [RolloutSummary], status: OperatorAPI.Status?) {
        self.service = service
        var known: Set<String> = []
        var active: [RolloutSummary] = []
        for r in rollouts where service == nil || r.service == service {
            known.insert(r.id)
            if !r.state.isTerminal { active.append(r) }
        }
        knownAtStart = known
        var held: [String: String] = [:]
        for svc in status?.services ?? [] { if let h = svc.held { held[svc.service] = h } }
        heldAtStart = held
        for r in active.sorted(by: { $0.startedAt < $1.startedAt }) {
            order.append(r.id)
            followed[r.id] = r
        }
    }

    /// True when `rollout` is or would be followed: active at the start, or new since.
    public func follows(_ rollout: RolloutSummary) -> Bool {
        guard service == nil || rollout.service == service else { return false }
        return followed[rollout.id] != nil || !knownAtStart.contains(rollout.id)
    }

    /// IDs of the followed rollouts that have not ended, oldest first.
    public var activeIDs: [String] { order.filter { followed[$0].map { !$0.state.isTerminal } ?? false } }

    /// The followed rollouts, oldest first.
    public var rollouts: [RolloutSummary] { order.compactMap { followed[$0] } }

    /// Feeds one poll; returns the lines to print, in order.
    public mutating func observe(rollouts: [RolloutSummary], status: OperatorAPI.Status?) -> [String] {
        var out: [String] = []
        changed = []
        for r in rollouts.sorted(by: { $0.startedAt < $1.startedAt }) where follows(r) {
            let previous = followed[r.id]
            if previous == nil && !order.contains(r.id) { order.append(r.id) }
            followed[r.id] = r
            let line = Self.progressLine(r)
            if line != lastLine[r.id] {
                lastLine[r.id] = line
                out.append(line)
                changed.append(r)
            }
            if r.breached, !announcedBreach.contains(r.id) {
                announcedBreach.insert(r.id)
                out += Self.breachLines(r)
            }
            if previous?.state != r.state || previous == nil, let loud = Self.stateLine(r, previous: previous?.state) {
                out.append(loud)
            }
        }
        for svc in status?.services ?? [] where service == nil || svc.service == service {
            guard let held = svc.held, held != heldAtStart[svc.service], newHolds[svc.service] != held else { continue }
            newHolds[svc.service] = held
            out.append("!! \(svc.service) is HELD: \(held)")
            out.append("!! nothing rolls out for \(svc.service) until a person acts (see tide status, tide release)")
        }
        return out
    }

    /// Where the followed rollouts stand now.
    public var outcome: Outcome {
        if followed.isEmpty { return newHolds.isEmpty ? .waiting : .failed }
        if followed.values.contains(where: { !$0.state.isTerminal }) { return .running }
        if !newHolds.isEmpty || followed.values.contains(where: { OperatorText.isBadEnd($0.state) }) { return .failed }
        return .succeeded
    }

    /// True when a followed rollout was reverted and the revert's own rollout has not shown up yet.
    public var awaitsRevert: Bool {
        followed.values.contains { r in
            r.state == .reverted
                && !followed.values.contains { $0.service == r.service && $0.kind == .tideRevert && $0.startedAt >= r.startedAt }
        }
    }

    /// The closing lines: one per followed rollout with how it ended (or where it stands).
    public var summaryLines: [String] {
        rollouts.map { r in
            let state = OperatorText.isBadEnd(r.state) ? r.state.rawValue.uppercased() : r.state.rawValue
            return "\(r.service) #\(r.id) \(OperatorText.shortSHA(r.revision)) (\(OperatorText.kind(r.kind))): \(state)"
                + (r.state.isTerminal ? "" : " in wave \(OperatorText.wave(r))")
        } + newHolds.keys.sorted().map { "\($0): HELD" }
    }

    /// `web  #12  wave 2/4  released 5/18  healthy 4  failed 0  timed-out 0  offline 0  verifying`.
    public static func progressLine(_ r: RolloutSummary) -> String {
        "\(r.service)  #\(r.id)  wave \(OperatorText.wave(r))  released \(r.released)/\(r.servers)  healthy \(r.healthy)"
            + "  failed \(r.failed)  timed-out \(r.timedOut)  offline \(r.offline)  \(r.state.rawValue)"
    }

    /// The loud lines of a breach: the counts, then each failing server with its reason when known.
    static func breachLines(_ r: RolloutSummary) -> [String] {
        var out = [
            "!! \(r.service) #\(r.id) BREACHED in wave \(OperatorText.wave(r)): \(r.failed) failed, \(r.timedOut) timed out"
                + " of \(r.released) released; nothing more is released in this rollout"
        ]
        for line in r.lines where line.status == .failed || line.status == .timedOut {
            out.append("!!   \(line.server)  \(OperatorText.serverStatus(line.status))  \(line.reason ?? "-")")
        }
        return out
    }

    /// A line for a state worth saying out loud, or nil.
    static func stateLine(_ r: RolloutSummary, previous: Rollout.State?) -> String? {
        let name = "\(r.service) #\(r.id)"
        switch r.state {
        case .paused: return "-- \(name) PAUSED: nothing more is released until `tide resume \(r.id)`"
        case .failed: return "!! \(name) FAILED in wave \(OperatorText.wave(r))"
        case .reverting: return "!! \(name) REVERTING: Tide is reverting \(OperatorText.shortSHA(r.revision)) in Git"
        case .reverted: return "!! \(name) REVERTED: \(OperatorText.shortSHA(r.revision)) was reverted in Git"
        case .held: return "!! \(name) HELD: servers went back to the last good bundle; a person must act (tide status)"
        case .aborted: return "!! \(name) ABORTED"
        case .succeeded: return "\(name) succeeded: \(r.healthy)/\(r.servers) healthy"
        case .superseded: return "\(name) superseded by a newer revision"
        case .pending, .verifying, .baking:
            return previous == .paused ? "-- \(name) resumed" : nil
        }
    }
}
