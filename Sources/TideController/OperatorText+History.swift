import TideCore

extension OperatorText {
    /// `tide history`: like `git log --oneline` (short SHA, age, author, subject), then each rollout the
    /// revision started, indented, with its outcome.
    public static func history(_ h: OperatorAPI.History, now: Int64) -> String {
        guard !h.revisions.isEmpty else { return "no revisions yet\n" }
        let ages = h.revisions.map { relativeTime($0.time, now: now) }
        let ageWidth = ages.map(\.count).max() ?? 0
        let authorWidth = h.revisions.map(\.author.count).max() ?? 0
        var out = ""
        for (entry, age) in zip(h.revisions, ages) {
            out += shortSHA(entry.revision) + "  " + age.padding(toLength: ageWidth, withPad: " ", startingAt: 0) + "  "
                + entry.author.padding(toLength: authorWidth, withPad: " ", startingAt: 0) + "  " + entry.subject + "\n"
            if entry.rollouts.isEmpty { continue }
            var table = OperatorTable()
            for r in entry.rollouts {
                let loud = Rollout.State(rawValue: r.state).map(isBadEnd) ?? false
                table.add([r.service, "#\(r.rollout)", loud ? r.state.uppercased() : r.state])
            }
            out += table.render(indent: "         ") + "\n"
        }
        return out
    }

    /// `tide audit`: one row per record, newest first: TIME, ACTOR, ACTION, SERVICE, FROM→TO, DETAIL.
    public static func audit(_ a: OperatorAPI.Audit, now: Int64) -> String {
        guard !a.entries.isEmpty else { return "no audit records\n" }
        var table = OperatorTable(header: ["TIME", "ACTOR", "ACTION", "SERVICE", "FROM→TO", "DETAIL"])
        for e in a.entries {
            let change: String
            switch (e.fromRevision, e.toRevision) {
            case (nil, nil): change = "-"
            default: change = shortSHA(e.fromRevision) + "→" + shortSHA(e.toRevision)
            }
            table.add([relativeTime(e.at, now: now), e.actor, e.action, e.service ?? "-", change, e.detail])
        }
        return table.render() + "\n"
    }
}
