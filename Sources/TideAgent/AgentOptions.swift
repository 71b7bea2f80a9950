/// How `tide agent` was started.
public struct AgentOptions: Sendable {
    /// Base URL of the controller, e.g. `http://controller:7070`.
    public var controller: String
    /// This server's name in the inventory.
    public var name: String
    /// Manifest, journal, blob cache, history.
    public var stateDirectory: String
    /// Prefixed to every target (default `/`).
    public var root: String = "/"
    public var token: String?
    /// Targets must be inside one of these (server paths, before `root`); `["/"]` allows all.
    public var allowedRoots: [String] = ["/"]
    /// How long one long poll may be held.
    public var wait: Duration = .seconds(60)
    /// How often managed files are compared with the manifest (drift).
    public var checkInterval: Duration = .seconds(30)
    /// How often every service's current phase is reported again even when nothing changed.
    public var heartbeat: Duration = .seconds(30)
    /// Longest pause between retries while the controller is unreachable.
    public var retryMax: Duration = .seconds(30)
    /// Longest a `reload` command may run.
    public var reloadTimeout: Duration = .seconds(120)

    public init(controller: String, name: String, stateDirectory: String) {
        self.controller = controller
        self.name = name
        self.stateDirectory = stateDirectory
    }
}
