import Testing

@testable import TideCore

/// `FleetBundles.build(_:reusing:of:)` gives what a fresh build gives, rebuilding only what changed.
@Suite struct FleetBundlesReuseTests {
    static func fleet() -> FleetConfig {
        FleetConfig(
            servers: (1...12).map { i in
                Server(name: "srv-\(i)", labels: ["role": i % 3 == 0 ? "db" : "web", "zone": "z\(i % 4)"])
            },
            services: [
                "web": ServiceSpec(
                    name: "web", selector: ["role": "web"],
                    files: [
                        FileSpec(source: "files/app.conf", target: "/etc/app.conf", template: true),
                        FileSpec(source: "files/conf.d/", target: "/etc/app/conf.d/"),
                    ],
                    reload: "systemctl reload app"),
                "db": ServiceSpec(
                    name: "db", selector: ["role": "db"], files: [FileSpec(source: "db.conf", target: "/etc/db.conf")]),
            ],
            files: [
                "services/web/files/app.conf": Array("host ${server.name} zone ${labels.zone}\n".utf8),
                "services/web/files/conf.d/a.conf": Array("a\n".utf8),
                "services/db/db.conf": Array("db\n".utf8),
            ])
    }

    static func expectEqualsFresh(_ reused: FleetBundles, _ config: FleetConfig, _ note: String = "") {
        let fresh = FleetBundles.build(config)
        #expect(reused.bundles == fresh.bundles, "\(note)")
        #expect(reused.blobs == fresh.blobs, "\(note)")
        #expect(reused.diagnostics == fresh.diagnostics, "\(note)")
        #expect(reused.blobUses == fresh.blobUses, "\(note)")
    }

    @Test func unchangedConfigReusesEveryBundle() {
        let config = Self.fleet()
        let first = FleetBundles.build(config)
        let again = FleetBundles.build(config, reusing: first, of: config)
        Self.expectEqualsFresh(again, config)
        #expect(again.bundles == first.bundles)
    }

    @Test func aServiceFileRebuildsThatServiceOnly() {
        let before = Self.fleet()
        let first = FleetBundles.build(before)
        var after = before
        after.files["services/db/db.conf"] = Array("db, changed\n".utf8)
        let next = FleetBundles.build(after, reusing: first, of: before)
        Self.expectEqualsFresh(next, after)
        #expect(next.bundles["web"] == first.bundles["web"])
        #expect(next.bundles["db"] != first.bundles["db"])
        // The old content is no longer served.
        #expect(next.blobs[SHA256.hex(Array("db\n".utf8))] == nil)
    }

    @Test func aLabelUsedByATemplateRebuildsThatServerOnly() {
        let before = Self.fleet()
        let first = FleetBundles.build(before)
        var after = before
        after.servers[0].labels["zone"] = "moved"
        let next = FleetBundles.build(after, reusing: first, of: before)
        Self.expectEqualsFresh(next, after)
        let web = next.bundles["web"]!
        for (server, bundle) in web where server != "srv-1" { #expect(bundle == first.bundles["web"]![server]) }
        #expect(web["srv-1"] != first.bundles["web"]!["srv-1"])
        #expect(next.bundles["db"] == first.bundles["db"])
    }

    @Test func aSpecChangeRebuildsThatService() {
        let before = Self.fleet()
        let first = FleetBundles.build(before)
        var after = before
        after.services["web"]!.reload = "systemctl restart app"
        let next = FleetBundles.build(after, reusing: first, of: before)
        Self.expectEqualsFresh(next, after)
        #expect(next.bundles["web"]!["srv-1"]!.reload == "systemctl restart app")
        // A rollout policy change alone does not touch bundles.
        var policy = after
        policy.services["web"]!.rollout.waves = [.percent(100)]
        Self.expectEqualsFresh(FleetBundles.build(policy, reusing: next, of: after), policy)
    }

    /// Random edits, each built from the previous build: always what a fresh build gives, blobs included.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomEditsMatchFreshBuilds(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var config = Self.fleet()
        var built = FleetBundles.build(config)
        for step in 0..<60 {
            let before = config
            switch Int.random(in: 0..<8, using: &random) {
            case 0: config.servers[Int.random(in: 0..<config.servers.count, using: &random)].labels["zone"] = "z\(Int.random(in: 0..<3, using: &random))"
            case 1: config.servers[Int.random(in: 0..<config.servers.count, using: &random)].labels["role"] = ["web", "db", "none"].randomElement(using: &random)!
            case 2: config.servers.append(Server(name: "new-\(step)", labels: ["role": "web", "zone": "z1"]))
            case 3: if config.servers.count > 1 { config.servers.remove(at: Int.random(in: 0..<config.servers.count, using: &random)) }
            case 4: config.files["services/web/files/conf.d/a.conf"] = Array("a \(Int.random(in: 0..<3, using: &random))\n".utf8)
            case 5: config.files["services/web/files/app.conf"] = Array((Bool.random(using: &random) ? "host ${server.name}\n" : "zone ${labels.zone}\n").utf8)
            case 6:
                if config.services["db"] == nil {
                    config.services["db"] = Self.fleet().services["db"]
                    config.files["services/db/db.conf"] = Array("db\n".utf8)
                } else {
                    config.services["db"] = nil
                    config.files["services/db/db.conf"] = nil
                }
            default: config.services["web"]?.selector = ["role": Bool.random(using: &random) ? "web" : "db"]
            }
            built = FleetBundles.build(config, reusing: built, of: before)
            Self.expectEqualsFresh(built, config, "seed \(seed) step \(step)")
        }
    }
}
