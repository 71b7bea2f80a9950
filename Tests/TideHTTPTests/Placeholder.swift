import Testing

@Test func TideHTTPTestsModuleLoads() { #expect(Bool(true)) }
