// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tide",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tide", targets: ["tide"])
    ],
    targets: [
        // C libraries from Debian's -dev packages, one system-library target each.
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        // The model and the pure logic: no C, no I/O.
        .target(name: "TideCore", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "TideLog"),
        .target(name: "TideConfig", dependencies: ["TideCore", "CYAML"]),
        .target(name: "TideGit", dependencies: ["TideCore", "TideLog", "CGit2"]),
        .target(name: "TideStore", dependencies: ["TideCore", "CSQLite"]),
        .target(name: "TideHTTP", dependencies: ["TideCore", "TideLog", "CMicroHTTPD"]),
        .target(name: "TideAgent", dependencies: ["TideCore", "TideLog", "TideHTTP", "CCrypto"]),
        .target(
            name: "TideController",
            dependencies: [
                "TideCore", "TideLog", "TideConfig", "TideGit", "TideStore", "TideHTTP", "CCrypto", "CSystemd", "CMalloc",
            ]),
        .executableTarget(
            name: "tide",
            dependencies: [
                "TideCore", "TideLog", "TideConfig", "TideGit", "TideStore", "TideHTTP", "TideAgent", "TideController",
                "CSystemd",
            ]),
        // Drives a scripted rollout through the engine and the store; the store's crash test SIGKILLs it.
        .executableTarget(name: "tide-store-driver", dependencies: ["TideCore", "TideStore"]),
        // `make bench`: figures and ratios, side by side in one run.
        .executableTarget(
            name: "TideBench",
            dependencies: ["TideCore", "TideConfig", "TideGit", "TideStore", "TideHTTP", "TideController", "TideLoadgen"]),

        // tide-loadgen: N simulated agents on one epoll thread against a real controller (docs/loadgen.md).
        .systemLibrary(name: "CEpoll"),
        .systemLibrary(name: "CMalloc"),
        .target(name: "TideLoadgen", dependencies: ["TideCore", "TideLog", "CEpoll"]),
        .executableTarget(name: "tide-loadgen", dependencies: ["TideLoadgen", "TideLog"]),

        // Fixtures shared by the tests: temp dirs, repo builder, git daemon and process launchers.
        .target(name: "TideTestSupport", dependencies: ["TideCore"], path: "Tests/TideTestSupport"),

        .testTarget(name: "TideCoreTests", dependencies: ["TideCore", "TideTestSupport"]),
        .testTarget(name: "TideConfigTests", dependencies: ["TideConfig", "TideGit", "TideTestSupport"]),
        .testTarget(name: "TideGitTests", dependencies: ["TideGit", "TideTestSupport"]),
        .testTarget(name: "TideStoreTests", dependencies: ["TideStore", "TideTestSupport"]),
        .testTarget(name: "TideHTTPTests", dependencies: ["TideHTTP", "TideTestSupport"]),
        .testTarget(name: "TideAgentTests", dependencies: ["TideAgent", "TideHTTP", "TideTestSupport"]),
        .testTarget(name: "TideControllerTests", dependencies: ["TideController", "TideTestSupport"]),
        .testTarget(name: "TideE2ETests", dependencies: ["TideCore", "TideHTTP", "TideTestSupport"]),
        .testTarget(name: "TideLoadgenTests", dependencies: ["TideLoadgen", "TideCore", "TideHTTP", "TideTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
