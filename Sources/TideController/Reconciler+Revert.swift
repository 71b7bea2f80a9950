import Foundation
import TideCore
import TideGit
import TideLog
import TideStore

extension Reconciler {
    /// Makes and pushes the revert commits a breach asked for, then tells the engine how it went.
    ///
    /// Idempotent across crashes: before reverting, the branch is searched for a commit that already
    /// carries this rollout's `Tide-Rollout` trailer (pushed by a run that died before recording it).
    func carryOutRevert(_ request: RevertRequest, decision id: Int64) async {
        defer { revertsRunning.remove(id) }
        let started = ContinuousClock().now
        let outcome: RolloutEvent.RevertOutcome
        var result = TideMetrics.RevertResult.pushed
        if let existing = await existingRevert(of: request) {
            Log.notice("revert.already_pushed", ["service": request.service, "rollout": request.rollout, "commit": existing])
            outcome = .pushed(head: existing)
        } else if request.commits.isEmpty {
            outcome = .conflicted(detail: "no commit of \(request.service) since its last good revision to revert")
            result = .conflict
        } else {
            do {
                let pushed = try await mirror.revertAndPush(
                    request.commits, onto: nil, trailers: Self.trailers(for: request),
                    identity: GitIdentity(name: identity.name, email: identity.email),
                    maxAttempts: options.pushAttempts)
                outcome = .pushed(head: pushed.head)
                let elapsed = ContinuousClock().now - started
                Log.warning(
                    "revert.pushed",
                    ["service": request.service, "rollout": request.rollout, "head": pushed.head,
                     "reverted": request.commits.map { String($0.prefix(7)) }.joined(separator: ","),
                     "attempts": pushed.attempts, "elapsed_ms": elapsed.milliseconds])
            } catch let error as GitError where error.code == .revertConflict {
                outcome = .conflicted(detail: "\(error.message) (paths: \(error.paths.joined(separator: ", ")))")
                result = .conflict
            } catch {
                outcome = .pushFailed(detail: "\(error)")
                result = .pushFailed
            }
        }
        metrics.recordRevert(service: request.service, result: result)
        if case .pushed = outcome {} else {
            Log.error("revert.failed", ["service": request.service, "rollout": request.rollout, "outcome": "\(outcome)"])
        }
        apply(.revertOutcome(service: request.service, rollout: request.rollout, outcome, at: Self.now()))
        markDone(id, outcome: "\(outcome)")
        if case .pushed = outcome { fetchTrigger.trigger(.manual) }
    }

    /// The trailers of Tide's revert commits: the rollout, the wave, and each failed server with its reason.
    static func trailers(for request: RevertRequest) -> [String] {
        var lines = [
            "Tide-Rollout: \(request.rollout)",
            "Tide-Wave: \(request.wave)",
            "Tide-Reason: \(request.failures.count) server\(request.failures.count == 1 ? "" : "s") failed in wave \(request.wave) of rollout \(request.rollout)",
        ]
        for failure in request.failures.prefix(20) {
            let reason = failure.reason.replacingOccurrences(of: "\n", with: " ").prefix(200)
            lines.append("Tide-Failed: \(failure.server): \(reason)")
        }
        if request.failures.count > 20 { lines.append("Tide-Failed: and \(request.failures.count - 20) more") }
        return lines
    }

    /// A commit on the branch after the breached revision that already reverts for this rollout.
    func existingRevert(of request: RevertRequest) async -> String? {
        guard let head = try? await mirror.head() else { return nil }
        let commits = (try? await mirror.commits(touchingService: request.service, from: request.revision, to: head)) ?? []
        return commits.first { Self.trailer("Tide-Rollout", in: $0.message) == request.rollout }?.sha
    }

    /// `POST /api/v1/revert`: a person asks Tide to revert one commit; it is made, pushed, audited, and rolls
    /// out like any revert (with the rollback policy).
    func revertByHand(commit: String, reason: String?, actor: String) async throws -> OperatorAPI.RevertResult {
        let target: GitCommit
        do { target = try await mirror.commit(commit) } catch {
            throw ControllerError.notFound("no commit \(commit) in the mirror: \(error)")
        }
        var trailers = ["Tide-Requested-By: \(actor)"]
        if let reason, !reason.isEmpty { trailers.append("Tide-Reason: \(reason.replacingOccurrences(of: "\n", with: " "))") }
        do {
            let pushed = try await mirror.revertAndPush(
                [target.sha], onto: nil, trailers: trailers,
                identity: GitIdentity(name: identity.name, email: identity.email), maxAttempts: options.pushAttempts)
            let revert = pushed.reverts.reverts.first?.revert ?? pushed.head
            audit(
                action: "revert", service: target.services.first, from: target.sha, to: pushed.head,
                detail: "reverted \(target.sha.prefix(7)) \"\(target.subject)\" by hand" + (reason.map { ": \($0)" } ?? ""),
                actor: actor)
            fetchTrigger.trigger(.manual)
            return OperatorAPI.RevertResult(reverted: target.sha, revertCommit: revert)
        } catch let error as GitError where error.code == .revertConflict {
            audit(action: "revert-failed", service: target.services.first, from: target.sha, detail: "\(error)", actor: actor)
            throw ControllerError.conflict("reverting \(target.sha.prefix(7)) conflicts in \(error.paths.joined(separator: ", ")); revert it in a clone and resolve by hand")
        } catch {
            audit(action: "revert-failed", service: target.services.first, from: target.sha, detail: "\(error)", actor: actor)
            throw ControllerError(502, "push failed", detail: "\(error)")
        }
    }
}
