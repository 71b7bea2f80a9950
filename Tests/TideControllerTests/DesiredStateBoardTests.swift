import Testing
import TideCore

@testable import TideController

@Suite struct DesiredStateBoardTests {
    func desired(_ service: String, _ revision: String) -> AgentProtocol.DesiredService {
        AgentProtocol.DesiredService(
            service: service, revision: revision,
            bundle: Bundle(service: service, files: [], reload: "true", health: nil))
    }

    @Test func answersAtOnceWhenIndexIsBehind() async {
        let board = DesiredStateBoard(startIndex: 100)
        board.set(server: "web-01", service: "web", to: desired("web", "a"))
        let state = await board.wait(server: "web-01", after: 0, wait: .seconds(30))
        #expect(state.index == 101)
        #expect(state.services.map(\.revision) == ["a"])
    }

    @Test func holdsUntilChangeThenWakes() async throws {
        let board = DesiredStateBoard(startIndex: 100)
        board.set(server: "web-01", service: "web", to: desired("web", "a"))
        async let answer = board.wait(server: "web-01", after: 101, wait: .seconds(30))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while board.openQueries == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(board.openQueries == 1)
        board.set(server: "web-02", service: "web", to: desired("web", "a"))  // another server: no wake
        #expect(board.openQueries == 1)
        board.set(server: "web-01", service: "web", to: desired("web", "b"))
        let state = await answer
        #expect(state.services.map(\.revision) == ["b"])
        #expect(state.index == 103)
        #expect(board.openQueries == 0)
    }

    @Test func waitEndsWithCurrentState() async {
        let board = DesiredStateBoard(startIndex: 7)
        board.set(server: "web-01", service: "web", to: desired("web", "a"))
        let state = await board.wait(server: "web-01", after: 8, wait: .milliseconds(50))
        #expect(state.index == 8)
        #expect(board.openQueries == 0)
    }

    @Test func indexAheadOfServerIsAReset() async {
        let board = DesiredStateBoard(startIndex: 7)
        board.set(server: "web-01", service: "web", to: desired("web", "a"))
        let state = await board.wait(server: "web-01", after: 999, wait: .seconds(30))
        #expect(state.index == 8)
    }

    @Test func unchangedSetDoesNotBumpIndex() {
        let board = DesiredStateBoard(startIndex: 1)
        board.set(server: "s", service: "web", to: desired("web", "a"))
        board.set(server: "s", service: "web", to: desired("web", "a"))
        #expect(board.current(server: "s").index == 2)
        board.set(server: "s", service: "web", to: nil)
        #expect(board.current(server: "s").services.isEmpty)
        #expect(board.current(server: "s").index == 3)
    }

    @Test func waitsEndTogetherOnTheSweepAfterTheirTime() async throws {
        // Hour-long waits: only the sweeps this test calls with a later clock can end them.
        let board = DesiredStateBoard(startIndex: 10, sweepInterval: .milliseconds(100))
        let start = ContinuousClock.now
        board.set(server: "srv-1", service: "web", to: desired("web", "a"))
        let answers = Task {
            await withTaskGroup(of: UInt64.self) { group in
                for _ in 0..<100 { group.addTask { await board.wait(server: "srv-1", after: 11, wait: .seconds(3600)).index } }
                var all: [UInt64] = []
                for await index in group { all.append(index) }
                return all
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while board.openQueries < 100, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(board.openQueries == 100)
        // Every wait began between `start` and now (its tasks may start late on a busy machine).
        let allWaiting = ContinuousClock.now
        board.sweep(now: start + .seconds(1800))
        #expect(board.openQueries == 100, "half the wait gone: nobody answered")
        board.sweep(now: allWaiting + .seconds(3600) + .milliseconds(250))
        #expect(board.openQueries == 0, "every wait ended on the first sweep after its time")
        if board.openQueries != 0 { board.sweep(now: allWaiting + .seconds(7200)) }  // never hang the suite for an hour
        #expect(await answers.value == Array(repeating: 11, count: 100))
        #expect(board.waitingServers().isEmpty)
    }

    @Test func askedHeartbeatGrowsWithTheFleet() {
        let board = DesiredStateBoard(startIndex: 1)
        #expect(board.current(server: "s").heartbeatSeconds == nil)
        board.setHeartbeat(forServers: 36)
        #expect(board.current(server: "s").heartbeatSeconds == 30)
        board.setHeartbeat(forServers: 10_000)
        #expect(board.current(server: "s").heartbeatSeconds == 200)
    }
}
