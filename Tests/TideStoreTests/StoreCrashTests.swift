import Foundation
import TideStore
import TideTestSupport
import Testing

/// SIGKILLs `tide-store-driver` at random points while it drives a rollout through the store, restarts it,
/// and compares the outcome with an uninterrupted run.
@Suite struct StoreCrashTests {
    /// The driver, built next to the test bundle by `swift build --build-tests`.
    static func driverPath() throws -> String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("tide-store-driver").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw StoreError(
            .io, doing: "finding tide-store-driver near \(exe.path)", message: "not built: run `swift build --build-tests`")
    }

    static func launch(_ driver: String, _ dir: TempDirectory) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: driver)
        p.arguments = [dir("state"), dir("world"), "--step-delay-us", "1500", "--snapshot-every", "5"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func worldLines(_ dir: TempDirectory) throws -> [String] {
        try String(contentsOfFile: dir("world"), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func sigkillAtRandomPointsRepeatsNothingLosesNothingAndLeavesNoAuditGaps() throws {
        let driver = try Self.driverPath()
        let reference = try TempDirectory("tide-crash-ref")
        let ref = try Self.launch(driver, reference)
        ref.waitUntilExit()
        #expect(ref.terminationStatus == 0)

        let crashed = try TempDirectory("tide-crash")
        var rng = UInt64(0x7469_6465)  // "tide": a fixed seed, so a failure can be replayed
        var kills = 0
        var finished = false
        for _ in 0..<60 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let delayMs = 5 + Int((rng >> 33) % 150)
            let p = try Self.launch(driver, crashed)
            Thread.sleep(forTimeInterval: Double(delayMs) / 1000)  // the random kill point, not a wait for a condition
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal {
                kills += 1
            } else {
                #expect(p.terminationStatus == 0, "driver failed after \(kills) kills")
                finished = true
                break
            }
        }
        if !finished {
            let p = try Self.launch(driver, crashed)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        print("crash test: \(kills) SIGKILLs before the rollout finished")
        #expect(kills >= 3)

        // None repeated: every decision performed once, no server released twice in a rollout, one revert.
        let lines = try Self.worldLines(crashed)
        let ids = lines.map { $0.split(separator: " ")[0] }
        #expect(Set(ids).count == ids.count)
        var released: Set<String> = []
        for line in lines where line.contains(" release ") && !line.contains("wave=0") {
            let parts = line.split(separator: " ")
            for target in parts[4].split(separator: ",") {
                let key = "\(parts[2]) \(target.split(separator: "=")[0])"
                #expect(!released.contains(key), "released twice: \(key)")
                released.insert(key)
            }
        }
        #expect(lines.filter { $0.contains(" start-revert ") }.count == 1)
        // None lost: the same decisions as the uninterrupted run.
        #expect(lines == (try Self.worldLines(reference)))

        // The store agrees: nothing pending, and the audit log has no gaps and matches the reference.
        let store = try StateStore(directory: crashed("state"))
        let refStore = try StateStore(directory: reference("state"))
        #expect(try store.pendingDecisions().isEmpty)
        let audit = try store.audit(AuditQuery(limit: 10_000)).reversed().map { $0 }
        #expect(audit.map(\.seq) == Array(1...Int64(audit.count)))
        let refAudit = try refStore.audit(AuditQuery(limit: 10_000)).reversed().map { $0 }
        #expect(audit == refAudit)
        #expect(try store.loadEngine() == (try refStore.loadEngine()))
    }
}
