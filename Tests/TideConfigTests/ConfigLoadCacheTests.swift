import Foundation
import Testing
import TideConfig
import TideCore
import TideGit
import TideTestSupport

/// A load with a `ConfigLoadCache` that saw earlier revisions gives exactly the config and diagnostics
/// of a cold load, valid or not, while reusing the files that did not change.
@Suite struct ConfigLoadCacheTests {
    static let baseline: [String: String] = [
        "tide.yaml": "defaults:\n  rollout:\n    waves: [1, \"100%\"]\n",
        "inventory/a.yaml": """
            servers:
              - name: web-01
                labels: {role: web, zone: a}
              - name: web-02
                labels: {role: web, zone: b}

            """,
        "inventory/b.yaml": """
            servers:
              - name: db-01
                labels: {role: db, zone: a, backup: yes}

            """,
        "services/web/service.yaml": """
            selector: {role: web}
            files:
              - source: files/app.conf
                target: /etc/app.conf
                template: true
              - source: files/conf.d/
                target: /etc/app/conf.d/
            reload: systemctl reload app

            """,
        "services/web/files/app.conf": "zone ${labels.zone}\n",
        "services/web/files/conf.d/one.conf": "one\n",
        "services/db/service.yaml": "selector: {role: db}\nfiles:\n  - source: db.conf\n    target: /etc/db.conf\n",
        "services/db/db.conf": "db\n",
    ]

    /// Each step's files are written over the previous step's (nil removes a file), then committed.
    static let steps: [(name: String, files: [String: String?])] = [
        ("a service file changes", ["services/web/files/conf.d/one.conf": "one, changed\n"]),
        ("a server is relabelled", ["inventory/a.yaml": "servers:\n  - name: web-01\n    labels: {role: web, zone: c}\n  - name: web-02\n    labels: {role: web, zone: b}\n"]),
        ("a duplicate server in another file, with a label warning",
         ["inventory/c.yaml": "servers:\n  - name: db-01\n    labels: {role: db, flag: no}\n  - name: cache-01\n    labels: {role: cache, flag: on}\n"]),
        ("the first file is unchanged, the duplicate goes", ["inventory/c.yaml": "servers:\n  - name: cache-01\n    labels: {role: cache, flag: on}\n"]),
        ("invalid YAML in an inventory file", ["inventory/b.yaml": "servers:\n  - name: db-01\n\tlabels: {role: db}\n"]),
        ("it is fixed again", ["inventory/b.yaml": baseline["inventory/b.yaml"]!]),
        ("an unknown key and a missing label for a template",
         ["services/web/service.yaml": baseline["services/web/service.yaml"]! + "relaod: x\n", "services/web/files/app.conf": "rack ${labels.rack}\n"]),
        ("the service file is fixed, the template is not", ["services/web/service.yaml": baseline["services/web/service.yaml"]!]),
        ("every server gets the label", [
            "inventory/a.yaml": "servers:\n  - name: web-01\n    labels: {role: web, zone: c, rack: r1}\n  - name: web-02\n    labels: {role: web, zone: b, rack: r2}\n"
        ]),
        ("a selector matches nothing, a target placed twice", [
            "services/db/service.yaml": "selector: {role: nothing}\nfiles:\n  - source: db.conf\n    target: /etc/db.conf\n  - source: db.conf\n    target: /etc/db.conf\n"
        ]),
        ("the fleet defaults change (every service inherits them)", ["tide.yaml": "defaults:\n  rollout:\n    waves: [2, \"100%\"]\n"]),
        ("an inventory file is removed", ["inventory/c.yaml": nil, "services/db/service.yaml": baseline["services/db/service.yaml"]!]),
    ]

    @Test func warmLoadsOfAGitHistoryEqualColdLoads() throws {
        let dir = try TempDirectory("config-cache")
        let repo = try RepoBuilder.create(dir("repo"))
        var revisions = [try repo.commit("Baseline", files: Self.baseline)]
        for step in Self.steps {
            for (path, text) in step.files {
                if let text { _ = try repo.write(path, text) } else { _ = try repo.remove(path) }
            }
            revisions.append(try repo.commit(step.name))
        }
        let cache = ConfigLoadCache()
        var sawErrors = 0
        for (i, revision) in revisions.enumerated() {
            let name = i == 0 ? "baseline" : Self.steps[i - 1].name
            let hitsBefore = cache.hits
            let cold = ConfigLoader.load(try GitTree(repositoryPath: dir("repo"), revision: revision))
            let warm = ConfigLoader.load(try GitTree(repositoryPath: dir("repo"), revision: revision), cache: cache)
            Self.expectSame(cold, warm, name)
            if i > 0 { #expect(cache.hits > hitsBefore, "\(name): nothing was reused") }
            if cold.diagnostics.contains(where: { $0.severity == .error }) { sawErrors += 1 }
        }
        // The history does exercise invalid configs (else the comparison above proves little).
        #expect(sawErrors >= 4)
        // And the steps meant to fail do: the duplicate is reported once, without its label warning.
        let duplicate = ConfigLoader.load(try GitTree(repositoryPath: dir("repo"), revision: revisions[3]), cache: cache)
        #expect(duplicate.diagnostics.filter { $0.message.contains("duplicate server name 'db-01'") }.count == 1)
        #expect(!duplicate.diagnostics.contains { $0.message.contains("flag: plain no") })
        #expect(duplicate.diagnostics.contains { $0.message.contains("flag: plain on") })
    }

    /// Loading revisions out of order (as the controller's start-up does) and the same one twice.
    @Test func revisionsInAnyOrderEqualColdLoads() throws {
        let dir = try TempDirectory("config-cache-order")
        let repo = try RepoBuilder.create(dir("repo"))
        var revisions = [try repo.commit("Baseline", files: Self.baseline)]
        for step in Self.steps.prefix(6) {
            for (path, text) in step.files {
                if let text { _ = try repo.write(path, text) } else { _ = try repo.remove(path) }
            }
            revisions.append(try repo.commit(step.name))
        }
        let cache = ConfigLoadCache()
        for i in [5, 0, 3, 3, 6, 1, 4, 2, 0] {
            let tree = try GitTree(repositoryPath: dir("repo"), revision: revisions[i])
            Self.expectSame(ConfigLoader.load(tree), ConfigLoader.load(tree, cache: cache), "revision \(i)")
        }
    }

    /// A directory has no blob ids: the cache compares the bytes.
    @Test func directoryTreesCompareBytes() throws {
        let dir = try TempDirectory("config-cache-dir")
        for (path, text) in Self.baseline { _ = try dir.write("fleet/" + path, text) }
        let cache = ConfigLoadCache()
        let tree = DirectoryTree(dir("fleet"))
        Self.expectSame(ConfigLoader.load(tree), ConfigLoader.load(tree, cache: cache), "first")
        let hits = cache.hits
        _ = try dir.write("fleet/inventory/b.yaml", "servers:\n  - name: db-01\n    labels: {role: db, zone: z}\n")
        let warm = ConfigLoader.load(tree, cache: cache)
        Self.expectSame(ConfigLoader.load(tree), warm, "changed")
        #expect(cache.hits > hits)
        #expect(warm.config?.servers.first { $0.name == "db-01" }?.labels["zone"] == "z")
    }

    static func expectSame(
        _ cold: (config: FleetConfig?, diagnostics: [Diagnostic]), _ warm: (config: FleetConfig?, diagnostics: [Diagnostic]),
        _ name: String
    ) {
        #expect(warm.diagnostics == cold.diagnostics, "\(name)")
        #expect((warm.config == nil) == (cold.config == nil), "\(name)")
        guard let a = cold.config, let b = warm.config else { return }
        #expect(a.servers == b.servers, "\(name)")
        #expect(a.services == b.services, "\(name)")
        #expect(a.files == b.files, "\(name)")
        #expect(a.rolloutDefaults == b.rolloutDefaults && a.rollbackDefaults == b.rollbackDefaults, "\(name)")
        #expect(a.notify == b.notify, "\(name)")
    }
}
