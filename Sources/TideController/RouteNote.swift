import Synchronization
import TideLog

/// What a route tells `ControllerAPI.handler` about the request it answered: its pattern (for the
/// `route` label and log field) and, for chatty routes, a log level. Passed through a task-local.
final class RouteNote: Sendable {
    @TaskLocal static var current: RouteNote?

    private let state = Mutex<(pattern: String?, level: Log.Level?)>((nil, nil))

    func set(pattern: String) { state.withLock { $0.pattern = pattern } }
    func set(level: Log.Level) { state.withLock { $0.level = level } }
    var value: (pattern: String?, level: Log.Level?) { state.withLock { $0 } }
}
