import CSystemd
import Foundation
import TideLog

/// Tells systemd how the service is doing through `sd_notify` (units with `Type=notify`):
/// `READY=1` once serving, `STATUS=` lines for `systemctl status`, `WATCHDOG=1` pings at half of
/// `WatchdogSec=`, and `STOPPING=1` at shutdown. Every call is a no-op outside systemd
/// (no `$NOTIFY_SOCKET`). Safe from any thread.
public enum SystemdNotifier {
    /// Sends raw `KEY=value` lines; true when systemd got them, false outside systemd or on error.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        let r = sd_notify(0, state)
        if r < 0 { Log.debug("systemd.notify_failed", ["errno": -r, "state": state.prefix(40)]) }
        return r > 0
    }

    /// `READY=1` (and a status line): the service is up and serving.
    @discardableResult
    public static func ready(status: String? = nil) -> Bool {
        notify("READY=1" + (status.map { "\nSTATUS=" + oneLine($0) } ?? ""))
    }

    /// `STATUS=...`: the free-form line `systemctl status` shows.
    @discardableResult
    public static func status(_ text: String) -> Bool { notify("STATUS=" + oneLine(text)) }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public static func stopping(status: String? = nil) -> Bool {
        notify("STOPPING=1" + (status.map { "\nSTATUS=" + oneLine($0) } ?? ""))
    }

    /// `WATCHDOG=1`: one keep-alive ping.
    @discardableResult
    public static func watchdogPing() -> Bool { notify("WATCHDOG=1") }

    /// Half of the unit's `WatchdogSec=` when systemd expects pings from this process, else nil.
    public static var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec / 2))
    }

    /// Pings the watchdog every `watchdogInterval` while `isAlive()` holds, until cancelled; returns at
    /// once when no watchdog is set. Pass a check of the main loop's progress (e.g. the last reconcile
    /// pass is recent) so a stuck loop gets the service restarted, not just a live process.
    public static func runWatchdog(isAlive: @Sendable () -> Bool = { true }) async {
        guard let interval = watchdogInterval else { return }
        Log.debug("systemd.watchdog", ["interval": interval])
        while !Task.isCancelled {
            if isAlive() {
                watchdogPing()
            } else {
                Log.warning("systemd.watchdog_skipped", ["reason": "main loop not alive"])
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
