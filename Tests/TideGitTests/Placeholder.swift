import Testing

@Test func TideGitTestsModuleLoads() { #expect(Bool(true)) }
