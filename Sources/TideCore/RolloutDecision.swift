/// An output of the `RolloutEngine`: a value the controller persists, then performs.
public enum RolloutDecision: Hashable, Sendable, Codable {
    /// A server and the bundle id it should now hold for a service.
    public struct Target: Hashable, Sendable, Codable {
        public var server: String
        public var bundle: String
        public init(server: String, bundle: String) {
            self.server = server
            self.bundle = bundle
        }
    }

    /// What a notification is about.
    public enum Notice: String, Hashable, Sendable, Codable {
        case started, waveDone, succeeded, breached, reverting, reverted, held, paused, resumed, aborted, superseded
    }

    /// Give these servers these bundles (a wave of `rollout`, or an offline server catching up when `wave` is 0).
    case release(service: String, rollout: String, wave: Int, targets: [Target])
    /// Send these servers back to their last good bundle.
    case sendBack(service: String, rollout: String, targets: [Target], reason: String)
    /// Revert the commits in Git and push (issue 6).
    case startRevert(RevertRequest)
    /// Hold the service: nothing rolls out until a person acts.
    case hold(service: String, rollout: String?, revision: String, reason: String)
    /// Record `revision` as the service's last good revision with these bundles.
    case markGood(service: String, revision: String, targets: [Target])
    /// Tell people (notification targets, log, audit).
    case notify(service: String, rollout: String?, Notice, message: String)

    /// The service the decision is about.
    public var service: String {
        switch self {
        case .release(let s, _, _, _), .sendBack(let s, _, _, _), .hold(let s, _, _, _), .markGood(let s, _, _),
            .notify(let s, _, _, _):
            return s
        case .startRevert(let r): return r.service
        }
    }

    /// The rollout the decision belongs to, if any.
    public var rollout: String? {
        switch self {
        case .release(_, let r, _, _), .sendBack(_, let r, _, _): return r
        case .startRevert(let q): return q.rollout
        case .hold(_, let r, _, _), .notify(_, let r, _, _): return r
        case .markGood: return nil
        }
    }
}
