import TideCore

extension OperatorText {
    /// `tide rollouts`: one row per rollout, newest first; failed, timed out and offline in their own columns.
    public static func rollouts(_ list: OperatorAPI.Rollouts, now: Int64) -> String {
        guard !list.rollouts.isEmpty else { return "no rollouts\n" }
        var table = OperatorTable(header: [
            "ID", "SERVICE", "REVISION", "KIND", "STATE", "WAVE", "RELEASED", "HEALTHY", "FAILED", "TIMED-OUT",
            "OFFLINE", "AGE",
        ])
        for r in list.rollouts {
            table.add([
                r.id, r.service, shortSHA(r.revision), kind(r.kind), r.state.rawValue + (r.breached ? "!" : ""),
                wave(r), "\(r.released)/\(r.servers)", "\(r.healthy)", "\(r.failed)", "\(r.timedOut)",
                "\(r.offline)", age(r.startedAt, now: now),
            ])
        }
        var out = table.render() + "\n"
        if list.rollouts.contains(where: \.breached) { out += "(! = breached: more failures than maxFailures allows)\n" }
        return out
    }

    /// `tide rollout ID`: the rollout's summary, then one line per server with its wave, status and reason.
    public static func rollout(_ r: RolloutSummary, now: Int64) -> String {
        var out = "rollout  #\(r.id)\n"
        out += "service  \(r.service)\n"
        out += "revision \(shortSHA(r.revision)) (\(kind(r.kind)))\n"
        out += "state    \(r.state.rawValue), wave \(wave(r))\n"
        out += "started  \(relativeTime(r.startedAt, now: now))"
        if let ended = r.endedAt { out += ", ended \(relativeTime(ended, now: now))" }
        out += "\n"
        out += "servers  \(r.servers): released \(r.released), healthy \(r.healthy), failed \(r.failed), "
            + "timed out \(r.timedOut), offline \(r.offline)\n"
        if r.breached {
            out += "!! BREACHED: more servers failed than the policy allows; nothing more is released in this rollout\n"
        }
        guard !r.lines.isEmpty else { return out }
        var table = OperatorTable(header: ["SERVER", "WAVE", "STATUS", "REASON"])
        for line in r.lines {
            table.add([line.server, "\(line.wave)", serverStatus(line.status), line.reason ?? "-"])
        }
        return out + "\n" + table.render() + "\n"
    }

    /// `tide servers`: one row per server and service: what it should hold, what it reported, when.
    public static func servers(_ list: OperatorAPI.Servers, now: Int64) -> String {
        guard !list.servers.isEmpty else { return "no servers\n" }
        var table = OperatorTable(header: ["SERVER", "SEEN", "SERVICE", "REVISION", "BUNDLE", "IN SYNC", "PHASE", "DETAIL"])
        for server in list.servers {
            let seen = server.lastSeen.map { relativeTime($0, now: now) } ?? "never"
            if server.services.isEmpty {
                table.add([server.server, seen, "-", "-", "-", "-", "-", "-"])
            }
            for svc in server.services {
                let inSync: String
                switch (svc.targetBundle, svc.reportedBundle) {
                case (nil, _): inSync = "-"
                case (let target?, let reported?) where target == reported: inSync = "yes"
                default: inSync = "no"
                }
                table.add([
                    server.server, seen, svc.service, shortSHA(svc.targetRevision), shortSHA(svc.targetBundle),
                    inSync, svc.phase ?? "-", svc.detail ?? "",
                ])
            }
        }
        return table.render() + "\n"
    }
}
