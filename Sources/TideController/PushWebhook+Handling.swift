import TideLog

extension PushWebhook {
    /// Decides on one call to `POST /hooks/{forge}` and does the side effects that go with it: one log
    /// line (never a header value or the secret), the `tide_webhooks_total` count, and on `.fetch` an
    /// immediate `trigger(.webhook)` (coalesced, returns at once). The caller answers
    /// `decision.statusCode` with `decision.detail`, and writes `.reject` decisions to the audit log.
    public func handle(
        forge: Forge, headers: [String: String], body: [UInt8], requestID: String, remote: String?,
        trigger: FetchTrigger, metrics: TideMetrics?
    ) -> WebhookDecision {
        let decision = decide(forge: forge, headers: headers, body: body)
        metrics?.webhooks.inc([forge.rawValue, decision.name])
        var fields: [(String, Any)] = [
            (RequestID.field, requestID), ("forge", forge.rawValue), ("decision", decision.name),
            ("detail", decision.detail),
        ]
        if let remote { fields.append(("remote", remote)) }
        switch decision {
        case .fetch(let push):
            if let pusher = push.pusher { fields.append(("pusher", pusher)) }
            if let delivery = push.delivery { fields.append(("delivery", delivery)) }
            Log.write(.info, "webhook.push", fields)
            trigger.trigger(.webhook)
        case .ignore:
            Log.write(.debug, "webhook.ignored", fields)
        case .reject:
            Log.write(.warning, "webhook.rejected", fields)
        case .malformed:
            Log.write(.warning, "webhook.malformed", fields)
        }
        return decision
    }
}
