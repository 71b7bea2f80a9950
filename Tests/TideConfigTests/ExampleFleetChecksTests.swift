import Foundation
import Testing
import TideConfig
import TideCore
import TideTestSupport

/// The example fleet's reload and health commands, run for real under a temp root as the demo runs them.
@Suite struct ExampleFleetChecksTests {
    static let fleetPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/fleet").path

    /// Places `server`'s bundle of `service` under `root`, as an agent with `--root` would.
    static func place(_ bundles: FleetBundles, service: String, server: String, under root: String) throws -> TideCore.Bundle {
        let bundle = bundles.bundle(service: service, server: server)
        for file in bundle.files {
            let url = URL(fileURLWithPath: root + file.target)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bundles.blobs[file.blob]!).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: Int(file.mode)], ofItemAtPath: url.path)
        }
        return bundle
    }

    static func run(_ command: String, root: String, server: String, service: String) throws -> Shell.Result {
        try Shell.run(
            command,
            environment: [
                "TIDE_ROOT": root, "TIDE_SERVER": server, "TIDE_SERVICE": service, "TIDE_REVISION": "0123abc",
                "TIDE_BUNDLE": "test",
            ])
    }

    static func healthCommand(_ bundle: TideCore.Bundle) throws -> String {
        guard case .command(let command)? = bundle.health?.probe else { return try #require(nil as String?) }
        return command
    }

    @Test(arguments: [("web", "web-01"), ("api", "api-04"), ("cache", "cache-09")])
    func healthyAsShippedAndReloadIsRecorded(service: String, server: String) throws {
        let config = try #require(ConfigLoader.load(DirectoryTree(Self.fleetPath)).config)
        let root = try TempDirectory("tide-fleet-root")
        let bundle = try Self.place(FleetBundles.build(config), service: service, server: server, under: root.path)
        let health = try Self.run(try Self.healthCommand(bundle), root: root.path, server: server, service: service)
        #expect(health.status == 0, "\(health.stderr)")
        let reload = try Self.run(try #require(bundle.reload), root: root.path, server: server, service: service)
        #expect(reload.status == 0, "\(reload.stderr)")
        let log = try String(contentsOfFile: root("var/log/reloads.log"), encoding: .utf8)
        #expect(log.contains("\(server) "))
        #expect(log.contains(" \(service) 0123abc"))
    }

    @Test func brokenWebDirectiveFailsTheHealthCheck() throws {
        let repo = try TempDirectory("tide-fleet-copy")
        try Shell.check("cp -R \(Shell.quote(Self.fleetPath))/. \(Shell.quote(repo.path))/")
        try Shell.check("sed -i 's/^gzip on;/gzip_compression on;/' services/web/files/conf.d/gzip.conf", in: repo.path)
        let config = try #require(ConfigLoader.load(DirectoryTree(repo.path)).config)
        let root = try TempDirectory("tide-fleet-root")
        let bundle = try Self.place(FleetBundles.build(config), service: "web", server: "web-01", under: root.path)
        let health = try Self.run(try Self.healthCommand(bundle), root: root.path, server: "web-01", service: "web")
        #expect(health.status != 0)
        #expect(health.stderr.contains("gzip.conf:2: unknown directive \"gzip_compression\""))
    }

    @Test func brokenCacheAndAPIConfigFailTheirHealthChecks() throws {
        let repo = try TempDirectory("tide-fleet-copy")
        try Shell.check("cp -R \(Shell.quote(Self.fleetPath))/. \(Shell.quote(repo.path))/")
        try Shell.check("sed -i 's/^maxmemory 2gb/maxmemory lots/' services/cache/files/redis.conf", in: repo.path)
        try Shell.check("sed -i 's/^pool_size = 20/pool_size = twenty/' services/api/files/api.toml", in: repo.path)
        let config = try #require(ConfigLoader.load(DirectoryTree(repo.path)).config)
        let bundles = FleetBundles.build(config)
        for (service, server) in [("cache", "cache-01"), ("api", "api-01")] {
            let root = try TempDirectory("tide-fleet-root")
            let bundle = try Self.place(bundles, service: service, server: server, under: root.path)
            let health = try Self.run(try Self.healthCommand(bundle), root: root.path, server: server, service: service)
            #expect(health.status != 0, "\(service) stayed healthy")
        }
    }
}
