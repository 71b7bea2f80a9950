import Foundation
import Testing

@testable import TideCore

@Suite struct UnifiedDiffTests {
    @Test func changedLineWithContext() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n")
        #expect(
            UnifiedDiff.make(old: Array(old.utf8), new: Array(new.utf8), path: "/etc/x.conf") == """
                --- a/etc/x.conf
                +++ b/etc/x.conf
                @@ -2,7 +2,7 @@
                 line 2
                 line 3
                 line 4
                -line 5
                +line five
                 line 6
                 line 7
                 line 8

                """)
    }

    @Test func twoDistantChangesGiveTwoHunks() {
        let old = (1...20).map { "l\($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "l2\n", with: "").replacingOccurrences(of: "l19\n", with: "l19\nnew\n")
        #expect(
            UnifiedDiff.make(old: Array(old.utf8), new: Array(new.utf8), path: "f") == """
                --- a/f
                +++ b/f
                @@ -1,5 +1,4 @@
                 l1
                -l2
                 l3
                 l4
                 l5
                @@ -17,4 +16,5 @@
                 l17
                 l18
                 l19
                +new
                 l20

                """)
    }

    @Test func addedRemovedAndNoNewline() {
        #expect(
            UnifiedDiff.make(old: nil, new: Array("a\nb".utf8), path: "/x") == """
                --- /dev/null
                +++ b/x
                @@ -0,0 +1,2 @@
                +a
                +b
                \\ No newline at end of file

                """)
        #expect(UnifiedDiff.make(old: Array("a\n".utf8), new: nil, path: "/x") == "--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n")
        #expect(UnifiedDiff.make(old: Array("same".utf8), new: Array("same".utf8), path: "/x") == "")
    }

    @Test func binaryFilesDiffer() {
        #expect(
            UnifiedDiff.make(old: [0, 1, 2], new: [0, 1, 3], path: "/var/logo.png")
                == "Binary files a/var/logo.png and b/var/logo.png differ\n")
        #expect(UnifiedDiff.isBinary([0xFF, 0xFE]))
        #expect(!UnifiedDiff.isBinary(Array("héllo\n".utf8)))
    }

    @Test func largeRewriteStaysBounded() {
        let old = (0..<6000).map { "old \($0)" }.joined(separator: "\n")
        let new = (0..<6000).map { "new \($0)" }.joined(separator: "\n")
        let diff = UnifiedDiff.make(old: Array(old.utf8), new: Array(new.utf8), path: "/big")
        #expect(diff.hasPrefix("--- a/big\n+++ b/big\n@@ -1,6000 +1,6000 @@\n-old 0\n"))
        #expect(diff.split(separator: "\n").count == 3 + 12000 + 2)
    }
}
