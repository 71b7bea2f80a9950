import Foundation
import Testing
import TideConfig
import TideCore
import TideTestSupport

@Suite struct ConfigLoaderTests {
    @Test func fixtureIsValid() throws {
        let (config, diagnostics) = try ConfigFixture().load()
        #expect(diagnostics.isEmpty)
        let web = try #require(config?.services["web"])
        #expect(web.selector == ["role": "web"])
        #expect(web.files.map(\.target) == ["/etc/app.conf"])
        #expect(config?.servers.map(\.name) == ["web-01", "web-02", "db-01"])
        #expect(config?.files["services/web/files/app.conf"] == Array("listen 80;\n".utf8))
    }

    @Test func exampleFleetValidates() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/fleet").path
        let (config, diagnostics) = ConfigLoader.load(DirectoryTree(root))
        #expect(diagnostics.map(\.description) == [])
        let fleet = try #require(config)
        #expect(fleet.servers.count == 36)
        #expect(Set(fleet.servers.compactMap { $0.labels["zone"] }) == ["eu-1a", "eu-1b", "eu-1c"])
        #expect(fleet.servers.filter { $0.labels["canary"] == "true" }.count >= 3)
        #expect(fleet.services.keys.sorted() == ["api", "cache", "web"])
        #expect(fleet.services["cache"]?.files.first?.mode == 0o644)
        #expect(fleet.services["web"]?.rollout.maxFailures == .percent(5))
        #expect(fleet.services["web"]?.rollout.first == ["canary": "true"])
        #expect(fleet.services["api"]?.rollout.waves == [.count(1), .percent(34), .percent(100)])
        let bundles = FleetBundles.build(fleet)
        #expect(bundles.diagnostics.isEmpty)
        let web = bundles.bundle(service: "web", server: "web-01")
        #expect(web.files.map(\.target).contains("/etc/nginx/conf.d/sites/default.conf"))
    }

    @Test func unknownKeyWithDidYouMean() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nrelaod: systemctl reload app\nhealth:\n  comand: /bin/true\n"
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:2:1: error: unknown key 'relaod' in services/web/service.yaml; did you mean 'reload'?",
                "services/web/service.yaml:4:3: error: unknown key 'comand' in health; did you mean 'command'?",
                "services/web/service.yaml:4:3: error: health: missing required key 'command' or 'http'",
            ])
    }

    @Test func unknownKeyWithoutNearMissListsTheKeys() throws {
        let fixture = try ConfigFixture(["tide.yaml": "defaults: {}\nowner: platform-team\n"])
        #expect(
            fixture.messages() == [
                "tide.yaml:2:1: error: unknown key 'owner' in tide.yaml; expected one of: defaults, notify"
            ])
    }

    @Test func wrongTypes() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": """
                selector: {role: web}
                files: {source: files/app.conf, target: /etc/app.conf}
                health: {command: /bin/true, retries: "3"}
                rollout: {waves: 1}

                """
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:2:8: error: files must be a list, found a mapping",
                "services/web/service.yaml:3:39: error: health.retries must be a whole number, found the text \"3\" (remove the quotes)",
                "services/web/service.yaml:4:18: error: rollout.waves must be a list, found the number 1",
            ])
    }

    @Test func missingRequiredFields() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - source: files/app.conf\n",
            "inventory/more.yaml": "servers:\n  - labels: {role: web}\n",
        ])
        #expect(
            fixture.messages() == [
                "inventory/more.yaml:2:5: error: servers[0]: missing required key 'name'",
                "services/web/service.yaml:3:5: error: files[0]: missing required key 'target'",
            ])
    }

    @Test func duplicateKeys() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web, role: api}\nreload: a\nreload: b\n"
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:1:23: error: duplicate key 'role' in selector (first at line 1, column 12)",
                "services/web/service.yaml:3:1: error: duplicate key 'reload' in services/web/service.yaml (first at line 2, column 1)",
            ])
    }

    @Test func tabsUsedForIndentation() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector:\n\trole: web\n"
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:2:1: error: tab character used for indentation; YAML indents with spaces only"
            ])
    }

    @Test func syntaxErrorHasItsPosition() throws {
        let fixture = try ConfigFixture(["services/web/service.yaml": "selector: {role: web\nreload: x\n"])
        let messages = fixture.messages()
        #expect(messages.count == 1)
        #expect(messages.first?.hasPrefix("services/web/service.yaml:2:7: error: YAML syntax error: ") == true)
    }

    @Test func emptyOrMissingSelectorIsAnError() throws {
        let empty = try ConfigFixture(["services/web/service.yaml": "selector: {}\n"])
        #expect(
            empty.messages() == [
                "services/web/service.yaml:1:11: error: selector is empty; name the labels of this service's servers, e.g. {role: web} (an empty selector never means all servers)"
            ])
        #expect(empty.load().config == nil)
        let null = try ConfigFixture(["services/web/service.yaml": "selector:\nreload: x\n"])
        #expect(
            null.messages() == [
                "services/web/service.yaml:1:10: error: selector is empty; name the labels of this service's servers, e.g. {role: web} (an empty selector never means all servers)"
            ])
        let missing = try ConfigFixture(["services/web/service.yaml": "reload: x\n"])
        #expect(
            missing.messages() == [
                "services/web/service.yaml:1:1: error: services/web/service.yaml: missing required key 'selector'"
            ])
    }

    @Test func selectorMatchingNoServerIsAWarning() throws {
        let fixture = try ConfigFixture(["services/web/service.yaml": "selector: {role: mail}\n"])
        let (config, diagnostics) = fixture.load()
        #expect(
            diagnostics.map(\.description) == [
                "services/web/service.yaml:1:11: warning: selector {role=mail} matches no server of the inventory; service 'web' is placed nowhere"
            ])
        #expect(config?.services["web"] != nil)
    }

    @Test func missingSourceAndBadTargets() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": """
                selector: {role: web}
                files:
                  - {source: files/nope.conf, target: /etc/nope.conf}
                  - {source: files/app.conf, target: etc/app.conf}
                  - {source: files/app.conf, target: /etc/../shadow}
                  - {source: ../db/files/x, target: /etc/x}

                """
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:3:14: error: files[0].source: services/web/files/nope.conf does not exist in the repo",
                "services/web/service.yaml:4:38: error: files[1].target must be an absolute path (starting with /), found \"etc/app.conf\"",
                "services/web/service.yaml:5:38: error: files[2].target must not contain '..' or '.' parts, found \"/etc/../shadow\"",
                "services/web/service.yaml:6:14: error: files[3].source must be a path relative to services/web/ without '..', found \"../db/files/x\"",
            ])
    }

    @Test func twoServicesPlacingOneTargetOnOneServer() throws {
        let fixture = try ConfigFixture([
            "services/edge/service.yaml": "selector: {zone: a}\nfiles:\n  - {source: app.conf, target: /etc/app.conf}\n",
            "services/edge/app.conf": "x\n",
            // db servers are not web servers: no conflict for this one.
            "services/db/service.yaml": "selector: {role: db}\nfiles:\n  - {source: app.conf, target: /etc/other.conf}\n  - {source: app.conf, target: /etc/other.conf}\n",
            "services/db/app.conf": "y\n",
        ])
        #expect(
            fixture.messages() == [
                "services/db/service.yaml:4:32: error: target /etc/other.conf is placed twice by service 'db' (first at services/db/service.yaml:3:32)",
                "services/web/service.yaml:4:13: error: target /etc/app.conf is also placed by service 'edge' (services/edge/service.yaml:3:32) on server web-01; a file has one owner",
            ])
    }

    @Test func durationsAndPercentsOutOfRange() throws {
        let fixture = try ConfigFixture([
            "tide.yaml": """
                defaults:
                  rollout:
                    bake: 5 minutes
                    waveTimeout: 0s
                    maxFailures: "150%"
                    waves: [0, "120%"]
                  rollback: {offlineAfter: 2d}

                """
        ])
        #expect(
            fixture.messages() == [
                "tide.yaml:3:11: error: defaults.rollout.bake must be a duration such as 500ms, 30s, 5m or 1h, found the text \"5 minutes\"",
                "tide.yaml:4:18: error: defaults.rollout.waveTimeout must be between 1s and 24h, found 0s",
                "tide.yaml:5:18: error: defaults.rollout.maxFailures must be a percent from 0% to 100%, found 150%",
                "tide.yaml:6:13: error: defaults.rollout.waves[0] must be at least 1 server, found 0",
                "tide.yaml:6:16: error: defaults.rollout.waves[1] must be a percent above 0% and at most 100%, found 120%",
                "tide.yaml:7:28: error: defaults.rollback.offlineAfter must be a duration such as 500ms, 30s, 5m or 1h, found the text \"2d\"",
            ])
    }

    @Test func wavesMustIncrease() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nrollout:\n  waves: [5, 2, \"50%\", \"10%\", 3]\n"
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:3:14: error: rollout.waves must increase: 2 after 5 (waves[0]); sizes are cumulative",
                "services/web/service.yaml:3:24: error: rollout.waves must increase: 10% after 50% (waves[2]); sizes are cumulative",
                "services/web/service.yaml:3:31: error: rollout.waves[4]: a server count cannot follow a percent; counts come first",
            ])
    }

    @Test func fileModes() throws {
        func modes(_ text: String) throws -> (UInt32?, [String]) {
            let fixture = try ConfigFixture([
                "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - source: files/app.conf\n    target: /etc/app.conf\n    mode: \(text)\n"
            ])
            let (config, diagnostics) = fixture.load()
            return (config?.services["web"]?.files.first?.mode, diagnostics.map(\.description))
        }
        #expect(try modes("0644") == (0o644, []))  // YAML 1.1 octal: 420
        #expect(try modes("\"0644\"") == (0o644, []))
        #expect(try modes("'0755'") == (0o755, []))
        #expect(try modes("0o600") == (0o600, []))
        #expect(
            try modes("644") == (
                nil,
                [
                    "services/web/service.yaml:5:11: error: files[0].mode: 644 without a leading 0 is a decimal number in YAML, not an octal mode; write \"0644\" (quoted) or 0644"
                ]
            ))
        #expect(
            try modes("0999") == (
                nil,
                [
                    "services/web/service.yaml:5:11: error: files[0].mode: 0999 is not an octal file mode (digits 8 and 9 do not exist in octal)"
                ]
            ))
        #expect(
            try modes("\"0999\"") == (
                nil,
                [
                    "services/web/service.yaml:5:11: error: files[0].mode: 0999 is not an octal file mode (digits 8 and 9 do not exist in octal)"
                ]
            ))
        #expect(
            try modes("rw-r--r--") == (
                nil,
                [
                    "services/web/service.yaml:5:11: error: files[0].mode must be an octal file mode such as \"0644\", found the text \"rw-r--r--\""
                ]
            ))
    }

    @Test func yaml11BooleansStayText() throws {
        let fixture = try ConfigFixture([
            "inventory/servers.yaml": """
                servers:
                  - name: web-01
                    labels: {role: web, country: no, ipv6: "off", canary: true}

                """,
            "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - {source: files/app.conf, target: /etc/app.conf, template: yes}\n",
        ])
        let (config, diagnostics) = fixture.load()
        #expect(
            diagnostics.map(\.description) == [
                "inventory/servers.yaml:3:34: warning: servers[0].labels.country: plain no is kept as the text \"no\" (YAML 1.1 would read a boolean); write \"no\" in quotes to say so",
                "services/web/service.yaml:3:63: error: files[0].template must be true or false, found yes (a YAML 1.1 boolean; write true or false)",
            ])
        #expect(config == nil)
        let ok = try ConfigFixture([
            "inventory/servers.yaml": "servers:\n  - name: web-01\n    labels: {role: web, country: \"no\", canary: true}\n"
        ])
        let loaded = ok.load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.config?.servers.first?.labels == ["role": "web", "country": "no", "canary": "true"])
    }

    @Test func byteOrderMarkAndCRLFAreAccepted() throws {
        let fixture = try ConfigFixture()
        let text = "selector: {role: web}\r\nfiles:\r\n  - source: files/app.conf\r\n    target: /etc/app.conf\r\n    mode: \"0600\"\r\n"
        try fixture.write("services/web/service.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let (config, diagnostics) = fixture.load()
        #expect(diagnostics.isEmpty)
        #expect(config?.services["web"]?.files.first?.mode == 0o600)
        #expect(config?.services["web"]?.files.first?.target == "/etc/app.conf")
        // Positions in such a file count as people do: the BOM is no column, CRLF one line end.
        try fixture.write("services/web/service.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array("selector: {role: web}\r\nrelod: x\r\n".utf8))
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:2:1: error: unknown key 'relod' in services/web/service.yaml; did you mean 'reload'?"
            ])
    }

    @Test func symlinksSubmodulesAndLFSPointersAreRejected() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": """
                selector: {role: web}
                files:
                  - {source: files/link.conf, target: /etc/link.conf}
                  - {source: files/vendor/, target: /opt/vendor/}
                  - {source: files/big.bin, target: /opt/big.bin}

                """,
            "services/web/files/big.bin": "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
            "services/web/files/vendor/.git/HEAD": "ref: refs/heads/main\n",
        ])
        try FileManager.default.createSymbolicLink(atPath: fixture.dir("services/web/files/link.conf"), withDestinationPath: "app.conf")
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:3:14: error: files[0].source: services/web/files/link.conf is a symbolic link; Tide does not follow links (they could point outside the repo): commit the file itself",
                "services/web/service.yaml:4:14: error: files[1].source: services/web/files/vendor is a Git submodule; Tide reads only this repo's own files: copy the files in",
                "services/web/service.yaml:5:14: error: files[2].source: services/web/files/big.bin is a Git LFS pointer, not the file; Tide serves what Git holds: commit the content itself (git lfs untrack)",
            ])
    }

    @Test func binaryFilesAreAcceptedAsTheyAre() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - {source: files/logo.png, target: /var/www/logo.png}\n"
        ])
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE, 0x24, 0x7B]
        try fixture.write("services/web/files/logo.png", bytes: bytes)
        let (config, diagnostics) = fixture.load()
        #expect(diagnostics.isEmpty)
        #expect(config?.files["services/web/files/logo.png"] == bytes)
    }

    @Test func directorySourceMirrorsTheWholeTree() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - {source: files/conf.d/, target: /etc/nginx/conf.d/, mode: \"0640\"}\n",
            "services/web/files/conf.d/a.conf": "a\n",
            "services/web/files/conf.d/sites/b.conf": "b\n",
            "services/web/files/conf.d/sites/deep/c.conf": "c\n",
        ])
        let (config, diagnostics) = fixture.load()
        #expect(diagnostics.isEmpty)
        let bundle = FleetBundles.build(try #require(config)).bundle(service: "web", server: "web-02")
        #expect(
            bundle.files.map(\.target) == [
                "/etc/nginx/conf.d/a.conf", "/etc/nginx/conf.d/sites/b.conf", "/etc/nginx/conf.d/sites/deep/c.conf",
            ])
        #expect(bundle.files.allSatisfy { $0.mode == 0o640 })
    }

    @Test func defaultsAreInheritedFieldByField() throws {
        let fixture = try ConfigFixture([
            "tide.yaml": """
                defaults:
                  rollout: {waves: [1, "50%"], bake: 2m, spreadBy: zone, first: {canary: "true"}}
                  rollback: {bake: 5s}
                notify:
                  - {url: "https://chat.example.com/hook", format: slack}

                """,
            "services/web/service.yaml": "selector: {role: web}\nrollout: {bake: 30s, onFailure: pause}\n",
            "services/db/service.yaml": "selector: {role: db}\n",
        ])
        let (config, diagnostics) = fixture.load()
        #expect(diagnostics.isEmpty)
        let web = try #require(config?.services["web"])
        #expect(web.rollout.waves == [.count(1), .percent(50)])
        #expect(web.rollout.bake == .seconds(30))
        #expect(web.rollout.onFailure == .pause)
        #expect(web.rollout.spreadBy == "zone")
        #expect(web.rollout.first == ["canary": "true"])
        #expect(web.rollout.waveTimeout == .seconds(300))
        #expect(web.rollback.bake == .seconds(5))
        #expect(web.rollback.waves == [.percent(100)])
        #expect(config?.services["db"]?.rollout.bake == .seconds(120))
        #expect(config?.notify == [NotifyTarget(url: "https://chat.example.com/hook", format: .slack)])
    }

    @Test func templateVariablesAreChecked() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - {source: files/app.conf, target: /etc/app.conf, template: true}\n",
            "services/web/files/app.conf": "name ${server.name};\nzone ${labels.zone}; rack ${labels.rack};\n  host ${server.nam};\n",
        ])
        #expect(
            fixture.messages() == [
                "services/web/files/app.conf:2:27: error: template variable ${labels.rack}: server web-01 and 1 more of service 'web' has no label 'rack'",
                "services/web/files/app.conf:3:8: error: unknown template variable ${server.nam}; known: ${server.name}, ${labels.KEY} (write $${ for a literal ${)",
            ])
    }

    @Test func duplicateServerNames() throws {
        let fixture = try ConfigFixture([
            "inventory/more.yaml": "servers:\n  - name: web-02\n    labels: {role: web}\n  - name: bad name\n"
        ])
        #expect(
            fixture.messages() == [
                "inventory/more.yaml:4:11: error: servers[1].name 'bad name' must be letters, digits, '.', '_' or '-' (it is the agent's name and a URL path part)",
                "inventory/servers.yaml:4:11: error: duplicate server name 'web-02' (first at inventory/more.yaml:2:11)",
            ])
    }

    @Test func healthNeedsExactlyOneProbe() throws {
        let fixture = try ConfigFixture([
            "services/web/service.yaml": "selector: {role: web}\nhealth: {command: /bin/true, http: \"http://127.0.0.1/\", interval: 0s}\n"
        ])
        #expect(
            fixture.messages() == [
                "services/web/service.yaml:2:36: error: health has both command and http; give exactly one",
                "services/web/service.yaml:2:67: error: health.interval must be between 100ms and 1h, found 0s",
            ])
    }

    @Test func everyErrorOfTheRepoInOneRun() throws {
        let fixture = try ConfigFixture([
            "tide.yaml": "defaults:\n  rollout: {bake: soon}\n",
            "inventory/more.yaml": "servers:\n  - name: web-01\n",
            "services/web/service.yaml": "selector: {role: web}\nfiles:\n  - {source: files/missing, target: /etc/x}\n",
            "services/db/service.yaml": "selectr: {role: db}\n",
        ])
        let messages = fixture.messages()
        #expect(messages.count == 5)
        #expect(messages.map { String($0.prefix(while: { $0 != ":" })) } == [
            "inventory/servers.yaml", "services/db/service.yaml", "services/db/service.yaml", "services/web/service.yaml", "tide.yaml",
        ])
    }

    @Test func serviceDirectoryWithoutServiceYAML() throws {
        let fixture = try ConfigFixture(["services/mail/files/main.cf": "x\n"])
        #expect(fixture.messages() == ["services/mail:1:1: error: service 'mail' has no service.yaml"])
    }
}
