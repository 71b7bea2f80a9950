import Foundation

/// The generated config repo of the fleet benchmark: `servers` servers over 3 regions and 9 zones,
/// `services` services with `files` files in all, written as a Tide config tree into a directory.
///
/// Every server has `env: prod`, a zone, a region and one of 10 roles; one canary per zone. Service
/// `base` selects every server (`env: prod`) and has one templated file (`${server.name}`), so each of
/// its servers gets its own bundle, as host-specific config does. Services `svc-01`… select one role
/// each (1/10 of the fleet); every 7th has a file templated on the zone (9 bundles), the rest are the
/// same for all their servers (1 bundle shared by all).
struct FleetRepo {
    static let regions = ["eu-1", "us-1", "ap-1"]
    static let zones = regions.flatMap { r in ["a", "b", "c"].map { "\(r)\($0)" } }
    static let roles = 10

    let servers: Int
    let services: Int
    let files: Int

    var filesPerService: Int { max(1, files / services) }
    var serviceNames: [String] { ["base"] + (1..<services).map { String(format: "svc-%02d", $0) } }

    /// How many servers `service` selects.
    func serverCount(of service: String) -> Int {
        guard service != "base", let number = Int(service.dropFirst(4)) else { return servers }
        return (1...servers).filter { Self.role(of: $0) == number % Self.roles }.count
    }

    static func role(of i: Int) -> Int { ((i - 1) / zones.count) % roles }

    static func serverName(_ i: Int) -> String { String(format: "srv-%05d", i) }
    var serverNames: [String] { (1...servers).map(Self.serverName) }

    /// Writes tide.yaml, inventory/<zone>.yaml and services/<name>/ into `dir` (which must exist).
    func write(into dir: String) throws {
        try Self.put(dir + "/tide.yaml", Self.tideYAML)
        var byZone: [String: [String]] = [:]
        for i in 1...servers {
            let zone = Self.zones[(i - 1) % Self.zones.count]
            let region = String(zone.dropLast())
            let role = "r\(Self.role(of: i))"
            let canary = i <= Self.zones.count ? ", canary: \"true\"" : ""
            byZone[zone, default: []].append(
                "  - name: \(Self.serverName(i))\n    labels: {env: prod, region: \(region), zone: \(zone), role: \(role)\(canary)}\n")
        }
        for (zone, entries) in byZone {
            try Self.put(dir + "/inventory/\(zone).yaml", "servers:\n" + entries.joined())
        }
        for (n, name) in serviceNames.enumerated() {
            try writeService(name, number: n, into: dir + "/services/\(name)")
        }
    }

    private func writeService(_ name: String, number: Int, into dir: String) throws {
        let selector = name == "base" ? "{env: prod}" : "{role: r\(number % Self.roles)}"
        let templated: String? = name == "base" ? "host.conf" : (number % 7 == 0 ? "zone.conf" : nil)
        var yaml = "selector: \(selector)\nfiles:\n"
        var count = filesPerService
        if let templated {
            yaml += "  - source: files/\(templated)\n    target: /etc/\(name)/\(templated)\n    template: true\n"
            let text = name == "base" ? "host ${server.name}\nzone ${labels.zone}\n" : "zone ${labels.zone}\n"
            try Self.put(dir + "/files/\(templated)", text)
            count -= 1
        }
        for f in 0..<max(0, count) {
            let file = String(format: "conf.d/part-%03d.conf", f)
            yaml += "  - source: files/\(file)\n    target: /etc/\(name)/\(file)\n"
            try Self.put(dir + "/files/\(file)", Self.content(service: name, file: f, version: 1))
        }
        try Self.put(dir + "/service.yaml", yaml)
    }

    /// A config file of about 300 bytes; `version` changes its content.
    static func content(service: String, file: Int, version: Int, extra: String = "") -> String {
        var text = "# \(service) part \(file), version \(version)\n"
        for line in 0..<8 { text += "setting_\(line) = \(service)-\(file)-\(line * 31 + version)\n" }
        return text + extra
    }

    /// The fleet-wide policy: canary first, no bake (the benchmark measures the loop, not waiting),
    /// any failure a breach, reverts in Git, reverts to every server at once.
    static let tideYAML = """
        defaults:
          rollout:
            waves: [1, "1%", "10%", "100%"]
            first: {canary: "true"}
            spreadBy: zone
            bake: 0s
            waveTimeout: 120s
            maxFailures: 0
            offlineAfter: 60s
            onFailure: revert
          rollback:
            waves: ["100%"]
            bake: 0s

        """

    static func put(_ path: String, _ text: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
