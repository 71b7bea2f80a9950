import Foundation
import TideConfig
import TideCore
import TideTestSupport

/// A small valid config repo in a temp dir; tests overwrite or add files to break it one way.
struct ConfigFixture {
    let dir: TempDirectory

    static let inventory = """
        servers:
          - name: web-01
            labels: {role: web, zone: a, canary: "true"}
          - name: web-02
            labels: {role: web, zone: b}
          - name: db-01
            labels: {role: db, zone: a}

        """

    static let webService = """
        selector: {role: web}
        files:
          - source: files/app.conf
            target: /etc/app.conf

        """

    init(_ files: [String: String] = [:]) throws {
        dir = try TempDirectory("tide-config")
        var all: [String: String] = [
            "tide.yaml": "defaults:\n  rollout: {bake: 10s}\n",
            "inventory/servers.yaml": ConfigFixture.inventory,
            "services/web/service.yaml": ConfigFixture.webService,
            "services/web/files/app.conf": "listen 80;\n",
        ]
        for (path, text) in files { all[path] = text }
        for (path, text) in all where !text.isEmpty { try dir.write(path, text) }
    }

    func write(_ path: String, bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: dir(path))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func load() -> (config: FleetConfig?, diagnostics: [Diagnostic]) { ConfigLoader.load(DirectoryTree(dir.path)) }

    /// Every diagnostic as printed: `path:line:column: severity: message`.
    func messages() -> [String] { load().diagnostics.map(\.description) }
}
