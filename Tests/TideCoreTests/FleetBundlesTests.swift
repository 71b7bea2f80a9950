import Testing

@testable import TideCore

@Suite struct FleetBundlesTests {
    static func fleet(template: Bool, text: String = "server ${server.name} zone ${labels.zone}\n") -> FleetConfig {
        FleetConfig(
            servers: [
                Server(name: "web-01", labels: ["role": "web", "zone": "a"]),
                Server(name: "web-02", labels: ["role": "web", "zone": "b"]),
                Server(name: "db-01", labels: ["role": "db", "zone": "a"]),
            ],
            services: [
                "web": ServiceSpec(
                    name: "web", selector: ["role": "web"],
                    files: [
                        FileSpec(source: "files/app.conf", target: "/etc/app.conf", mode: 0o640, template: template),
                        FileSpec(source: "files/conf.d/", target: "/etc/app/conf.d/"),
                    ],
                    reload: "systemctl reload app", health: HealthCheck(probe: .command("/bin/true")))
            ],
            files: [
                "services/web/files/app.conf": Array(text.utf8),
                "services/web/files/conf.d/a.conf": Array("a\n".utf8),
                "services/web/files/conf.d/sub/b.conf": Array("b\n".utf8),
                "services/web/files/conf.dx": Array("not in the directory\n".utf8),
            ])
    }

    @Test func templatesAreRenderedPerServer() throws {
        let bundles = FleetBundles.build(Self.fleet(template: true))
        #expect(bundles.diagnostics.isEmpty)
        let one = bundles.bundle(service: "web", server: "web-01")
        let two = bundles.bundle(service: "web", server: "web-02")
        #expect(one.id != two.id)
        let file = try #require(one.files.first { $0.target == "/etc/app.conf" })
        #expect(bundles.blobs[file.blob] == Array("server web-01 zone a\n".utf8))
        #expect(file.mode == 0o640)
        #expect(file.size == 21)
        #expect(one.files.map(\.target) == ["/etc/app.conf", "/etc/app/conf.d/a.conf", "/etc/app/conf.d/sub/b.conf"])
        #expect(one.files.filter { $0.target != "/etc/app.conf" }.allSatisfy { $0.mode == 0o644 })
        #expect(one.reload == "systemctl reload app")
        // Not selected: the empty bundle.
        #expect(bundles.bundles["web"]?["db-01"] == nil)
        #expect(bundles.bundle(service: "web", server: "db-01").isEmpty)
    }

    @Test func templatedBundleIDsEqualTheFullCanonicalHash() {
        // The templated path hashes the shared prefix once; its ids must equal Bundle's own computation,
        // with the templated file first in target order (no shared prefix) and last (all shared).
        for target in ["/etc/0-first.conf", "/etc/zz-last.conf"] {
            var config = Self.fleet(template: true)
            config.services["web"]!.files[0].target = target
            let bundles = FleetBundles.build(config)
            for server in ["web-01", "web-02"] {
                let built = bundles.bundle(service: "web", server: server)
                let recomputed = Bundle(service: "web", files: built.files.reversed(), reload: built.reload, health: built.health)
                #expect(built.id == recomputed.id, "\(target) on \(server)")
                #expect(built.files.map(\.target) == recomputed.files.map(\.target))
            }
        }
    }

    @Test func sha256InPiecesEqualsWhole() {
        let text = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        for cut in [0, 1, 63, 64, 65, 500, 999] {
            var hasher = SHA256()
            hasher.update(text[..<cut])
            var copy = hasher
            hasher.update(text[cut...])
            copy.update(Array(text[cut...]))
            let whole = SHA256.hex(text)
            #expect(hasher.finalize().hexString == whole, "cut at \(cut)")
            #expect(copy.finalize().hexString == whole, "copy cut at \(cut)")
        }
    }

    @Test func withoutTemplatesEveryServerSharesOneBundle() {
        let bundles = FleetBundles.build(Self.fleet(template: false))
        let one = bundles.bundle(service: "web", server: "web-01")
        #expect(one == bundles.bundle(service: "web", server: "web-02"))
        #expect(bundles.blobs.count == 3)
        #expect(bundles.blobs[one.files[0].blob] == Array("server ${server.name} zone ${labels.zone}\n".utf8))
    }

    @Test func unknownVariableIsAnErrorWithItsPosition() {
        let bundles = FleetBundles.build(Self.fleet(template: true, text: "a\n  b ${labels.rack} ${x}\n"))
        #expect(
            bundles.diagnostics.map(\.description) == [
                "services/web/files/app.conf:2:5: error: template variable ${labels.rack} has no value on server web-01",
                "services/web/files/app.conf:2:20: error: template variable ${x} has no value on server web-01",
            ])
    }

    @Test func templateEscapeAndUnterminatedVariable() {
        let server = Server(name: "s1", labels: ["zone": "a"])
        let (bytes, unknown) = Template.render(Array("$${HOME} ${server.name}/${labels.zone} ${oops\n".utf8), for: server)
        #expect(String(decoding: bytes, as: UTF8.self) == "${HOME} s1/a ${oops\n")
        #expect(unknown == [Template.Variable(name: "${oops", line: 1, column: 40)])
    }

    @Test func bundleIDIsTheContent() {
        let a = FleetBundles.build(Self.fleet(template: false)).bundle(service: "web", server: "web-01")
        let b = FleetBundles.build(Self.fleet(template: false)).bundle(service: "web", server: "web-02")
        #expect(a.id == b.id)
        var changed = Self.fleet(template: false)
        changed.services["web"]?.reload = "systemctl restart app"
        #expect(FleetBundles.build(changed).bundle(service: "web", server: "web-01").id != a.id)
    }
}
