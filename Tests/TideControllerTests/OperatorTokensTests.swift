import Testing
import TideCore

@testable import TideController

@Suite struct OperatorTokensTests {
    @Test func parsesAndAuthenticates() throws {
        let text = """
            # on-call tokens
            alice operator \(SHA256.hex("alice-secret"))
            dash  viewer   \(SHA256.hex("dash-secret"))

            """
        let tokens = try OperatorTokens(parsing: text, file: "tokens")
        #expect(tokens.authenticate("alice-secret")?.name == "alice")
        #expect(tokens.authenticate("alice-secret")?.role == .operator)
        #expect(tokens.authenticate("dash-secret")?.role == .viewer)
        #expect(tokens.authenticate("nope") == nil)
        #expect(OperatorRole.admin.allows(.operator))
        #expect(!OperatorRole.viewer.allows(.operator))
    }

    @Test func badLinesNameTheLine() {
        #expect(throws: OperatorTokens.ParseError.self) {
            try OperatorTokens(parsing: "a viewer abc\n", file: "t")
        }
        do {
            _ = try OperatorTokens(parsing: "\nbob root \(SHA256.hex("x"))\n", file: "ops.tokens")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "ops.tokens:2: role must be viewer, operator or admin, got 'root'")
        }
    }
}
