@testable import Dashboard
import Foundation
import Testing

/// Escaping, exports and query handling, without a database.
@Suite("Dashboard building blocks")
struct MarkupTests {
    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let name = #"<script>alert("x")</script> & 'y'"#
        let inner: Markup = "<em>\(name)</em>"
        let outer: Markup = "<p title=\"\(name)\">\(inner)</p>"
        #expect(outer.html == "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;\">"
                + "<em>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</em></p>")
        let number: Markup = "<td>\(42)</td>"
        #expect(number.html == "<td>42</td>")
    }

    @Test func csvQuotesWhatNeedsItAndJSONEscapesEverything() {
        let table = DataTable(
            name: "t", title: "T", columns: [Column("a", "A"), Column("b", "B"), Column("c", "C", visible: false)],
            rows: [
                Row([.text("plain"), .number(0.1), Cell(.bool(true))]),
                Row([.text("a,\"b\"\nc"), .integer(-3 as Int), .text(nil)]),
                Row([.text("</script>&"), Cell(.number(.nan)), Cell(.number(1e-5))]),
            ])
        #expect(table.csv() == "a,b,c\r\nplain,0.1,true\r\n\"a,\"\"b\"\"\nc\",-3,\r\n</script>&,,1e-05\r\n")
        let json = table.json()
        #expect(!json.contains("<") && !json.contains("&"))
        let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 3)
        #expect(parsed?[1]["a"] as? String == "a,\"b\"\nc")
        #expect(parsed?[2]["a"] as? String == "</script>&")
        #expect(parsed?[2]["b"] is NSNull)
        #expect((parsed?[0]["b"] as? NSNumber)?.doubleValue == 0.1)
        #expect(parsed?[0]["c"] as? Bool == true)
    }

    @Test func queryParametersAreDecodedAndLinksReencoded() {
        let request = DashboardRequest(path: "/jobs", query: "state=failed&kind=a+b&experiment=%3Cx%3E&part=live")
        #expect(request.parameter("kind") == "a b")
        #expect(request.parameter("experiment") == "<x>")
        #expect(request.parameter("missing") == nil)
        #expect(request.link(["format": "csv", "part": nil])
                == "/jobs?state=failed&kind=a%20b&experiment=%3Cx%3E&format=csv")
        #expect(DashboardRequest(path: "/").link([:]) == "/")
    }

    @Test func tablesRenderHeadersScopesAndDownloadLinks() {
        let table = DataTable(name: "things", title: "Things", columns: [Column("id", "#", numeric: true), Column("n", "Name")],
                              rows: [Row([.integer(1 as Int, link: "/x/1"), .text("<b>")])])
        let request = DashboardRequest(path: "/", query: "sort=-id")
        let html = PageRenderer.table(table, request: request).html
        #expect(html.contains("<th scope=\"col\" role=\"columnheader\" class=\"num\">#</th>"
                              + "<th scope=\"col\" role=\"columnheader\">Name</th>"))
        #expect(html.contains("<th scope=\"row\" role=\"rowheader\" class=\"num\" data-label=\"#\"><div><a href=\"/x/1\">1</a>"
                              + "</div></th><td role=\"cell\" data-label=\"Name\"><div>&lt;b&gt;</div></td>"))
        #expect(html.contains("<a href=\"/?sort=-id&amp;format=csv&amp;table=things\" type=\"text/csv\">CSV</a>"))
        #expect(html.contains("<a href=\"/?sort=-id&amp;format=json&amp;table=things\""))
    }

    @Test(arguments: [(5.0, "5.0 s"), (45.2, "45 s"), (200, "3 min 20 s"), (7_500, "2 h 05 min"), (90_000, "1 d 01 h"),
                      (-3, "−3.0 s")])
    func durationsRead(_ seconds: Double, _ text: String) {
        #expect(Format.duration(seconds) == text)
    }

    @Test func numbersAndTimesFormat() {
        #expect(Format.integer(1_234_567) == "1,234,567")
        #expect(Format.integer(-1_000) == "-1,000")
        #expect(Format.fixed(-0.0123) == "−0.012")
        #expect(Format.signed(0.0123) == "+0.012")
        #expect(Format.percent(0.999) == "99%")
        #expect(Format.fraction(0.025) == "2.5%" && Format.fraction(1) == "100%")
        #expect(Format.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(Format.dateTime(1_764_438_825) == "2025-11-29 17:53:45")
    }
}
