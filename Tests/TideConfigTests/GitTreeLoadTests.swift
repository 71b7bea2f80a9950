import Foundation
import Testing
import TideConfig
import TideCore
import TideGit
import TideTestSupport

/// The config model reads any commit of a real Git repository through libgit2, without a checkout,
/// and gets the same result as from the directory.
@Suite struct GitTreeLoadTests {
    static var exampleFleet: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/fleet").path
    }

    @Test func commitLoadsLikeTheDirectory() throws {
        let dir = try TempDirectory("gittree")
        let repo = try RepoBuilder.create(dir("repo"))
        try Shell.check("cp -R \(Shell.quote(Self.exampleFleet))/. \(Shell.quote(dir("repo")))")
        let first = try repo.commit("Baseline")
        _ = try repo.write("services/web/service.yaml", "selector: {}\nfiles: []\n")
        _ = try repo.commit("Break the web selector")

        let (fromDisk, diskDiagnostics) = ConfigLoader.load(DirectoryTree(Self.exampleFleet))
        let (fromGit, gitDiagnostics) = ConfigLoader.load(try GitTree(repositoryPath: dir("repo"), revision: first))
        #expect(diskDiagnostics.isEmpty)
        #expect(gitDiagnostics.isEmpty)
        #expect(fromGit?.servers == fromDisk?.servers)
        #expect(fromGit?.services == fromDisk?.services)
        #expect(fromGit?.files == fromDisk?.files)

        // The broken head is reported with the file and position, read from the commit.
        let (broken, diagnostics) = ConfigLoader.load(try GitTree(repositoryPath: dir("repo"), revision: "HEAD"))
        #expect(broken == nil)
        #expect(diagnostics.contains { $0.position.file == "services/web/service.yaml" && $0.position.line == 1 })
    }
}
