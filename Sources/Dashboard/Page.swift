import Foundation

/// One page of the dashboard: its title, its sections, and the tables it can export.
struct Page: Sendable {
    /// One part of the page.
    enum Section: Sendable {
        /// Markup; `live` sections are re-fetched while the page is open.
        case markup(Markup, live: Bool)
        /// A table with its CSV and JSON links; `live` tables are re-fetched while the page is open.
        case table(DataTable, live: Bool)
    }

    /// Which navigation entry is current.
    enum Area: String, Sendable, CaseIterable {
        case experiments, jobs, workers, datasets

        var path: String {
            switch self {
            case .experiments: "/"
            case .jobs: "/jobs"
            case .workers: "/workers"
            case .datasets: "/datasets"
            }
        }

        var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
    }

    /// The `<title>` (escaped when rendered).
    var title: String
    /// The `<h1>`.
    var heading: Markup
    /// The navigation entry to mark current.
    var area: Area
    /// The sections in order.
    var sections: [Section]
    /// Whether the page refreshes its live sections (an unfinished experiment, the job list, ...).
    var live = true

    /// Every table, for `?format=csv|json`.
    var tables: [DataTable] {
        sections.compactMap { if case .table(let table, _) = $0 { table } else { nil } }
    }
}

/// Renders pages: the layout, the stylesheet and the live-update script, all embedded here.
struct PageRenderer: Sendable {
    /// Seconds between live updates; 0 turns them off.
    var refreshSeconds: Int

    /// The whole page, or with `onlyLive` just its live sections (what the live-update script fetches).
    func html(_ page: Page, request: DashboardRequest, nonce: String, onlyLive: Bool = false) -> String {
        var body: Markup = .empty
        var liveIndex = 0
        for section in page.sections {
            switch section {
            case .markup(let markup, let live):
                if live {
                    body += "<div class=\"live\" id=\"live-\(liveIndex)\" data-live>\(markup)</div>\n"
                    liveIndex += 1
                } else if !onlyLive {
                    body += markup + "\n"
                }
            case .table(let table, let live):
                let rendered = Self.table(table, request: request)
                if live {
                    body += "<div class=\"live\" id=\"live-\(liveIndex)\" data-live>\(rendered)</div>\n"
                    liveIndex += 1
                } else if !onlyLive {
                    body += rendered + "\n"
                }
            }
        }
        if onlyLive { return "<!DOCTYPE html>\n<main>\(body)</main>\n" }
        let refresh = page.live && liveIndex > 0 ? refreshSeconds : 0
        let navigation = Markup.joined(Page.Area.allCases.map { area in
            area == page.area
                ? "<a href=\"\(area.path)\" aria-current=\"page\">\(area.title)</a>"
                : "<a href=\"\(area.path)\">\(area.title)</a>"
        })
        let status: Markup = refresh > 0
            ? "<span id=\"live-status\">Live: refreshes every \(refresh) s.</span>"
            : "<span id=\"live-status\">Not refreshing (nothing here changes).</span>"
        let script: Markup = refresh > 0
            ? "<script nonce=\"\(nonce)\">\(Markup(trustedHTML: Self.liveScript))</script>" : .empty
        let document: Markup = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(page.title) · SeqTwins</title>
            <style>\(Markup(trustedHTML: Self.stylesheet))</style>
            </head>
            <body data-refresh="\(refresh)">
            <header><nav aria-label="Main"><span class="brand">SeqTwins</span>\(navigation)</nav></header>
            <main>
            <h1>\(page.heading)</h1>
            \(body)</main>
            <footer>\(status) Read-only view of the queue and results in PostgreSQL.</footer>
            \(script)
            </body>
            </html>

            """
        return document.html
    }

    /// A table with its heading and CSV/JSON links; an empty one shows its empty message instead.
    static func table(_ table: DataTable, request: DashboardRequest) -> Markup {
        let csv = request.link(["format": "csv", "table": table.name, "part": nil])
        let json = request.link(["format": "json", "table": table.name, "part": nil])
        var out: Markup = """
            <section class="data" id="\(table.name)" aria-labelledby="\(table.name)-title">
            <div class="table-head"><h2 id="\(table.name)-title">\(table.title)</h2>\
            <span class="downloads"><a href="\(csv)" type="text/csv">CSV</a> <a href="\(json)" \
            type="application/json">JSON</a></span></div>

            """
        if let note = table.note { out += "<p class=\"note\">\(note)</p>\n" }
        guard !table.rows.isEmpty else { return out + "<p class=\"empty\">\(table.emptyMessage)</p>\n</section>" }
        let visible = table.columns.indices.filter { table.columns[$0].visible }
        switch table.layout {
        case .rows:
            // Explicit roles keep the table's semantics when phone-width CSS stacks each row into a card (a
            // `display` change drops them in some browsers); `data-label` names each cell there, and each cell's
            // content sits in one <div> so that it is one item of the card's label/value grid.
            var head: [Markup] = []
            for index in visible {
                let column = table.columns[index]
                head.append(header(column, table: table, request: request))
            }
            var rows: [Markup] = []
            for row in table.rows {
                var cells: [Markup] = []
                for (position, index) in visible.enumerated() {
                    let column = table.columns[index]
                    let content = display(row.cells[index])
                    let numeric: Markup = column.numeric ? " class=\"num\"" : .empty
                    cells.append(position == 0
                        ? "<th scope=\"row\" role=\"rowheader\"\(numeric) data-label=\"\(column.title)\"><div>\(content)</div></th>"
                        : "<td role=\"cell\"\(numeric) data-label=\"\(column.title)\"><div>\(content)</div></td>")
                }
                let classes: Markup = row.classes.isEmpty ? .empty : " class=\"\(row.classes.joined(separator: " "))\""
                rows.append("<tr role=\"row\"\(classes)>\(cells)</tr>\n")
            }
            out += """
                <div class="scroll"><table class="stack" role="table">
                <thead role="rowgroup"><tr role="row">\(head)</tr></thead>
                <tbody role="rowgroup">
                \(rows)</tbody>
                </table></div>

                """
        case .fields:
            var rows: [Markup] = []
            for row in table.rows {
                for index in visible {
                    rows.append("<tr><th scope=\"row\">\(table.columns[index].title)</th>"
                                + "<td>\(display(row.cells[index]))</td></tr>\n")
                }
            }
            out += """
                <div class="scroll"><table class="fields">
                <tbody>
                \(rows)</tbody>
                </table></div>

                """
        }
        return out + "</section>"
    }

    /// A column heading; in a sortable table a link that sorts by it (again: the other direction).
    private static func header(_ column: Column, table: DataTable, request: DashboardRequest) -> Markup {
        let numeric: Markup = column.numeric ? " class=\"num\"" : .empty
        guard let key = column.sortKey, let current = table.sort else {
            return "<th scope=\"col\" role=\"columnheader\"\(numeric)>\(column.title)</th>"
        }
        let ascending = current == key
        let descending = current == "-" + key
        let next = ascending ? "-" + key : key
        let state: Markup = ascending ? " aria-sort=\"ascending\"" : descending ? " aria-sort=\"descending\"" : .empty
        let arrow: Markup = ascending ? " ▲" : descending ? " ▼" : .empty
        let href = request.link(["sort": next, "part": nil])
        return "<th scope=\"col\" role=\"columnheader\"\(numeric)\(state)><a href=\"\(href)\">\(column.title)</a>\(arrow)</th>"
    }

    private static func display(_ cell: Cell) -> Markup {
        if let display = cell.display { return display }
        switch cell.value {
        case .text(let text): return "\(text)"
        case .integer(let number): return "\(Format.integer(number))"
        case .number(let number): return "\(Format.fixed(number))"
        case .bool(let flag): return flag ? "yes" : "no"
        case .null: return "<span class=\"none\">–</span>"
        }
    }

    /// An error page (404, 400, 405, 500, 503) with the message as text.
    func errorPage(status: Int, message: String, request: DashboardRequest, nonce: String) -> String {
        let reason = switch status {
        case 400: "Bad request"
        case 404: "Not found"
        case 405: "Method not allowed"
        case 503: "Database unavailable"
        default: "Error"
        }
        let page = Page(title: reason, heading: "\(reason)", area: .experiments,
                        sections: [.markup("<p class=\"error\">\(message)</p>", live: false)], live: false)
        return html(page, request: request, nonce: nonce)
    }

    /// The stylesheet: system fonts, tables that scroll sideways on a phone, the report's Okabe–Ito colours.
    static let stylesheet = """
        :root{--fg:#1b1b1b;--muted:#555;--line:#d9dde2;--head:#f3f5f7;--link:#005a8c}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;\
        color:var(--fg);background:#fff}
        a{color:var(--link)}a:focus-visible,summary:focus-visible{outline:3px solid #E69F00;outline-offset:1px}
        header{background:#12324a}
        nav{max-width:1240px;margin:0 auto;display:flex;flex-wrap:wrap;align-items:center;gap:0 .25rem;padding:0 .5rem}
        nav a,nav .brand{color:#fff;text-decoration:none;padding:.7rem .6rem;display:inline-block}
        nav .brand{font-weight:700;margin-right:.5rem}
        nav a[aria-current=page]{background:#0072B2;font-weight:600}
        nav a:hover{text-decoration:underline}
        main{max-width:1240px;margin:0 auto;padding:.75rem 1rem 2rem}
        h1{font-size:1.45rem;margin:.6rem 0 .8rem;overflow-wrap:anywhere}
        h2{font-size:1.12rem;margin:0}
        main>h2,.live>h2{margin:1.6rem 0 .45rem}
        time{white-space:nowrap}
        footer{max-width:1240px;margin:0 auto;padding:.5rem 1rem 1.5rem;color:var(--muted);font-size:.85rem}
        .table-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem 1rem;margin:1.6rem 0 .45rem}
        .downloads{font-size:.85rem}.downloads a{margin-right:.4rem}
        .note,.empty{color:var(--muted);margin:.2rem 0 .5rem}
        .scroll{overflow-x:auto;border:1px solid var(--line);border-radius:4px}
        table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
        th,td{padding:.38rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        thead th{background:var(--head);white-space:nowrap;font-weight:600}
        tbody th{font-weight:600}
        tbody tr:last-child>*{border-bottom:0}
        .num{text-align:right;white-space:nowrap}
        table.fields th{width:12rem;background:var(--head)}
        .none{color:#888}
        .text{overflow-wrap:anywhere;white-space:pre-wrap}
        td .text,th .text{display:inline-block;max-width:42rem}
        details.long summary{cursor:pointer}details.long .more{color:var(--muted);font-size:.85rem}
        details.long div.text{max-height:18rem;overflow:auto;margin-top:.3rem}
        tr.excludes-zero{background:#FFF1D6}
        tr.excludes-zero td,tr.excludes-zero th{font-weight:600}
        .mark{white-space:nowrap}
        .bar{display:flex;height:.85rem;min-width:8rem;max-width:12rem;background:#eceff2;border-radius:2px;\
        overflow:hidden;margin:.2rem 0}
        .bar span{display:block;height:100%}
        .counts{font-size:.82rem;color:var(--muted);display:block;max-width:12rem}
        .name{display:inline-block;min-width:9rem}
        .s-succeeded{background:#009E73}.s-running{background:#0072B2}.s-queued{background:#56B4E9}
        .s-blocked{background:#BBBBBB}.s-failed{background:#D55E00}.s-cancelled{background:#CC79A7}
        .legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.85rem;color:var(--muted);margin:.4rem 0}
        .legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:-1px;margin-right:.3rem}
        .progress{display:flex;align-items:center;gap:.5rem;white-space:nowrap}
        .progress .bar{min-width:5rem;max-width:8rem;flex:1}
        .state{white-space:nowrap}.state-failed{color:#B04000;font-weight:600}.state-running{color:#005a8c;font-weight:600}
        .expired{color:#B04000;font-weight:600}
        pre{overflow:auto;background:#f6f8fa;border:1px solid var(--line);padding:.75rem;border-radius:4px;\
        font-size:.82rem;max-height:32rem;white-space:pre}
        details.spec>summary{cursor:pointer;font-weight:600;margin:1.4rem 0 .4rem;font-size:1.05rem}
        figure{margin:.6rem 0}figcaption{color:var(--muted);font-size:.85rem;margin-top:.3rem}
        .curves svg{display:block;max-width:100%;height:auto}
        .runs{display:grid;gap:.8rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,34rem),1fr))}
        .run{border:1px solid var(--line);border-radius:4px;padding:.5rem .6rem}
        .run h3{font-size:.95rem;margin:0 0 .3rem;overflow-wrap:anywhere}
        .charts{display:grid;gap:.4rem;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr))}
        .charts svg{display:block;width:100%;height:auto}
        form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}
        form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
        form.filters select,form.filters input,form.filters button{font:inherit;padding:.25rem .4rem;min-height:2rem}
        .summary{display:flex;flex-wrap:wrap;gap:.3rem 1.5rem;margin:.2rem 0 .6rem}
        .error{color:#B04000;overflow-wrap:anywhere}
        @media (max-width:640px){body{font-size:14px}main{padding:.5rem .6rem 1.5rem}h1{font-size:1.2rem}\
        th,td{padding:.3rem .4rem}nav a,nav .brand{padding:.6rem .4rem}table.fields th{width:auto}\
        table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}\
        table.stack,table.stack tbody,table.stack tr{display:block}\
        table.stack tr{border-bottom:2px solid var(--line);padding:.35rem 0}\
        table.stack tbody tr:last-child{border-bottom:0}\
        table.stack td,table.stack tbody th{display:grid;grid-template-columns:minmax(6.5rem,38%) 1fr;gap:.6rem;\
        border:0;padding:.12rem .5rem;text-align:left;white-space:normal}\
        table.stack td::before,table.stack tbody th::before{content:attr(data-label);font-weight:600;color:var(--muted)}\
        td .text,th .text{max-width:100%}.bar{max-width:100%}}
        """

    /// The live update: every few seconds, while the tab is visible, fetch this URL with `part=live` and swap in
    /// each `[data-live]` section. No framework; a failed fetch is retried at the next tick.
    static let liveScript = """
        (function(){var s=+document.body.dataset.refresh;if(!(s>0))return;var busy=false,
        st=document.getElementById('live-status');
        function tick(){if(busy||document.visibilityState==='hidden')return;busy=true;
        var u=new URL(location.href);u.searchParams.set('part','live');
        fetch(u,{headers:{'Accept':'text/html'},cache:'no-store'}).then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);
        return r.text();}).then(function(t){var d=new DOMParser().parseFromString(t,'text/html');
        document.querySelectorAll('[data-live]').forEach(function(e){var n=d.getElementById(e.id);if(n)e.replaceWith(n);});
        st.textContent='Live: updated '+new Date().toLocaleTimeString()+', refreshes every '+s+' s.';})
        .catch(function(e){st.textContent='Live: update failed ('+e.message+'); retrying.';})
        .finally(function(){busy=false;});}
        setInterval(tick,s*1000);})();
        """
}
