import Testing

@Test func TideCoreTestsModuleLoads() { #expect(Bool(true)) }
