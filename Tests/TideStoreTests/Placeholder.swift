import Testing

@Test func TideStoreTestsModuleLoads() { #expect(Bool(true)) }
