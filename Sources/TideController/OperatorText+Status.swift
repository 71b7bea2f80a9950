import TideCore

extension OperatorText {
    /// `tide status`: the source (branch, head, last fetch; a loud line when it is stale), then one row per
    /// service with its rollout, then every held service with its reason and how to release it.
    public static func status(_ s: OperatorAPI.Status) -> String {
        var out = "repo     \(s.repo)\n"
        out += "branch   \(s.branch) at \(shortSHA(s.head))\n"
        if let at = s.lastFetchAt {
            out += "fetched  \(relativeTime(at, now: s.now))\n"
        } else {
            out += "fetched  never\n"
        }
        if let error = s.fetchError {
            let since = s.lastFetchAt.map { "since " + relativeTime($0, now: s.now) } ?? "no fetch has succeeded yet"
            out += "!! STALE: the last fetch failed (\(since)); showing \(shortSHA(s.head)): \(error)\n"
        }
        out += "servers  \(s.servers) (\(s.agentsConnected) agents connected)\n"
        guard !s.services.isEmpty else { return out + "\nno services\n" }
        var table = OperatorTable(header: [
            "SERVICE", "REVISION", "LAST GOOD", "HEALTHY", "ROLLOUT", "STATE", "WAVE", "RELEASED", "FAILED",
            "TIMED-OUT", "OFFLINE", "AGE",
        ])
        for svc in s.services {
            var row = [
                svc.service, shortSHA(svc.revision), shortSHA(svc.lastGoodRevision), "\(svc.healthy)/\(svc.servers)",
            ]
            if let r = svc.rollout {
                row += [
                    "#\(r.id)", svc.held != nil ? "HELD" : r.state.rawValue, wave(r), "\(r.released)/\(r.servers)",
                    "\(r.failed)", "\(r.timedOut)", "\(r.offline)", age(r.startedAt, now: s.now),
                ]
            } else {
                row += ["-", svc.held != nil ? "HELD" : "-", "-", "-", "-", "-", "-", "-"]
            }
            table.add(row)
        }
        out += "\n" + table.render() + "\n"
        let held = s.services.filter { $0.held != nil }
        for svc in held {
            out += "\n!! \(svc.service) is HELD: \(svc.held ?? "")\n"
            out += "   nothing rolls out for \(svc.service) until a person acts"
            if let revision = svc.revision {
                out += " (e.g. tide release \(svc.service) \(shortSHA(revision)))"
            }
            out += "\n"
        }
        return out
    }
}
