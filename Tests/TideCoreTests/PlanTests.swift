import Foundation
import Testing

@testable import TideCore

@Suite struct PlanTests {
    static let zones = ["eu-1a", "eu-1b", "eu-1c"]

    /// `count` web servers over three zones, every tenth a canary, plus 5 db servers that never change.
    static func fleet(webServers count: Int, text: String, template: Bool = false, conf: [String: String] = [:]) -> FleetConfig {
        var servers: [Server] = []
        for i in 0..<count {
            var labels = ["role": "web", "zone": zones[i % 3]]
            if i % 10 == 3 { labels["canary"] = "true" }
            servers.append(Server(name: String(format: "web-%04d", i), labels: labels))
        }
        for i in 0..<5 { servers.append(Server(name: "db-\(i)", labels: ["role": "db", "zone": zones[i % 3]])) }
        var files: [String: [UInt8]] = ["services/web/files/app.conf": Array(text.utf8)]
        for (name, body) in conf { files["services/web/files/conf.d/\(name)"] = Array(body.utf8) }
        var specs = [FileSpec(source: "files/app.conf", target: "/etc/app.conf", template: template)]
        if !conf.isEmpty { specs.append(FileSpec(source: "files/conf.d/", target: "/etc/app/conf.d/")) }
        let policy = RolloutPolicy(first: ["canary": "true"], spreadBy: "zone")
        return FleetConfig(
            servers: servers,
            services: [
                "web": ServiceSpec(name: "web", selector: ["role": "web"], files: specs, rollout: policy),
                "db": ServiceSpec(name: "db", selector: ["role": "db"], files: [FileSpec(source: "files/db.conf", target: "/etc/db.conf")]),
            ],
            files: files.merging(["services/db/files/db.conf": Array("db\n".utf8)]) { a, _ in a })
    }

    @Test(arguments: [(1, [1]), (3, [1, 1, 1]), (10, [1, 4, 5]), (1000, [1, 99, 400, 500])])
    func waveSizes(servers: Int, sizes: [Int]) throws {
        let plan = Plan.between(Self.fleet(webServers: servers, text: "v1\n"), Self.fleet(webServers: servers, text: "v2\n"))
        let web = try #require(plan.services.first)
        #expect(plan.services.map(\.service) == ["web"])  // db is byte-identical: not in the plan
        #expect(web.change == .changed)
        #expect(web.waves.map(\.count) == sizes)
        #expect(web.affected == servers)
        #expect(Set(web.waves.joined()).count == servers)
    }

    @Test(arguments: [3, 10, 1000])
    func canariesFirstZonesInterleavedStableOrder(servers: Int) throws {
        let from = Self.fleet(webServers: servers, text: "v1\n")
        let to = Self.fleet(webServers: servers, text: "v2\n")
        let order = try #require(Plan.between(from, to).services.first).waves.joined().map { $0 }
        let labels = Dictionary(uniqueKeysWithValues: to.servers.map { ($0.name, $0.labels) })
        let canaries = order.filter { labels[$0]?["canary"] == "true" }
        #expect(Array(order.prefix(canaries.count)) == canaries)
        // After the canaries, neighbours are in different zones while all three zones still have servers.
        let rest = order.dropFirst(canaries.count).map { labels[$0]!["zone"]! }
        let perZone = Dictionary(grouping: rest, by: { $0 }).mapValues(\.count)
        let interleaved = 3 * (perZone.values.min() ?? 0)
        for i in 1..<max(1, interleaved) { #expect(rest[i] != rest[i - 1]) }
        // Stable: the same plan whatever the inventory order.
        var shuffledFrom = from
        var shuffledTo = to
        shuffledFrom.servers.reverse()
        shuffledTo.servers.shuffle()
        #expect(Plan.between(shuffledFrom, shuffledTo) == Plan.between(from, to))
    }

    @Test func identicalBundlesAreNotAffected() throws {
        // Only zone eu-1b's rendering changes: its servers are affected, the others keep their bundle.
        let from = Self.fleet(webServers: 9, text: "zone ${labels.zone}\n", template: true)
        var to = from
        for i in to.servers.indices where to.servers[i].labels["zone"] == "eu-1b" { to.servers[i].labels["zone"] = "eu-1d" }
        let plan = Plan.between(from, to)
        let web = try #require(plan.services.first)
        #expect(plan.services.count == 1)
        #expect(web.waves.joined().sorted() == ["web-0001", "web-0004", "web-0007"])
        #expect(web.files.count == 1)
        #expect(web.files[0].servers == ["web-0001", "web-0004", "web-0007"])
        #expect(web.files[0].diff == "--- a/etc/app.conf\n+++ b/etc/app.conf\n@@ -1 +1 @@\n-zone eu-1b\n+zone eu-1d\n")
        #expect(Plan.between(from, from).services.isEmpty)
        #expect(Plan.between(from, from).text == "no changes: every server keeps the bundles it has\n")
    }

    @Test func serverLeavingTheSelectorGetsItsFilesRemoved() throws {
        let from = Self.fleet(webServers: 4, text: "v1\n", conf: ["a.conf": "a\n"])
        var to = from
        to.servers[2].labels["role"] = "spare"
        let web = try #require(Plan.between(from, to).services.first)
        #expect(web.waves.joined().map { $0 } == ["web-0002"])
        #expect(web.files.map(\.kind) == [.removed, .removed])
        #expect(web.files.map(\.target) == ["/etc/app.conf", "/etc/app/conf.d/a.conf"])
    }

    @Test func deletedServiceAndFirstRelease() throws {
        let from = Self.fleet(webServers: 3, text: "v1\n")
        var to = from
        to.services["db"] = nil
        let plan = Plan.between(from, to)
        #expect(plan.services.map(\.service) == ["db"])
        #expect(plan.services[0].change == .removed)
        #expect(plan.services[0].affected == 5)
        #expect(plan.services[0].files.map(\.kind) == [.removed])

        let first = Plan.between(nil, from)
        #expect(first.services.map(\.service) == ["db", "web"])
        #expect(first.services.allSatisfy { $0.change == .added })
        #expect(first.services[1].files.first?.diff == "--- /dev/null\n+++ b/etc/app.conf\n@@ -0,0 +1 @@\n+v1\n")
    }

    @Test func directoryChangesAndTextOutput() throws {
        let from = Self.fleet(webServers: 3, text: "v1\n", conf: ["a.conf": "a\n", "b.conf": "b\n"])
        let to = Self.fleet(webServers: 3, text: "v1\n", conf: ["a.conf": "a2\n", "c.conf": "c\n"])
        let plan = Plan.between(from, to)
        let web = try #require(plan.services.first)
        #expect(web.files.map { "\($0.kind.rawValue) \($0.target)" } == [
            "modified /etc/app/conf.d/a.conf", "removed /etc/app/conf.d/b.conf", "added /etc/app/conf.d/c.conf",
        ])
        #expect(plan.text.hasPrefix("service web: changed, 3 servers in 3 waves\n  wave 1 (+1, 1/3): web-0000\n"))
        #expect(plan.text.contains("  modified /etc/app/conf.d/a.conf on all 3 servers\n    --- a/etc/app/conf.d/a.conf\n"))
    }

    /// 1,000 servers and a service with 300 files in a directory: one bundle build, not one per server.
    @Test func thousandServersHundredsOfFiles() throws {
        var conf: [String: String] = [:]
        for i in 0..<300 { conf["site-\(i).conf"] = "server_name site\(i).example.com;\nlisten 80;\n" }
        var changed = conf
        changed["site-7.conf"] = "server_name site7.example.com;\nlisten 8080;\n"
        let from = Self.fleet(webServers: 1000, text: "v1\n", conf: conf)
        let to = Self.fleet(webServers: 1000, text: "v1\n", conf: changed)
        // Speed is measured by benchmarks, not asserted here (these machines are small and noisy).
        let plan = Plan.between(from, to)
        #expect(plan.services.first?.affected == 1000)
        #expect(plan.services.first?.files.count == 1)
    }
}

@Suite struct PlanScaleTests {
    /// 1,000 servers, a file templated per server: rendered once per server, planned in seconds.
    @Test func thousandTemplatedServers() throws {
        let from = PlanTests.fleet(webServers: 1000, text: "name ${server.name}\nzone ${labels.zone}\nworkers 4\n", template: true)
        let to = PlanTests.fleet(webServers: 1000, text: "name ${server.name}\nzone ${labels.zone}\nworkers 8\n", template: true)
        let plan = Plan.between(from, to)
        let web = try #require(plan.services.first)
        #expect(web.affected == 1000)
        #expect(web.waves.map(\.count) == [1, 99, 400, 500])
        #expect(web.files.count == 1000)  // every diff names its server in the context
        #expect(plan.text.contains("... and 997 more distinct changes of /etc/app.conf on 997 servers (templated; see --json)"))
        let json = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(Plan.self, from: json) == plan)
    }
}
