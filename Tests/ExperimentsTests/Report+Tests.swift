import Experiments
import Foundation
import SeqTwinsTestSupport
#if canImport(FoundationXML)
import FoundationXML // XMLDocument lives here on Linux, in Foundation on Apple platforms.
#endif
import Testing

/// Results of two methods on one task, two protocols, two fractions and three seeds, with known values:
/// `bt` = 0.30 + 0.10 · fraction + 0.01 · seed, `de` = `bt` − 0.02 − 0.005 · seed (so the gain is 0.025 ± …).
func sampleRows() -> [ResultRow] {
    var rows: [ResultRow] = []
    for evaluationProtocol in ["linear_probe", "fine_tune"] {
        for fraction in [0.1, 1.0] {
            for seed in 0..<3 {
                let bt = 0.30 + 0.10 * fraction + 0.01 * Double(seed)
                let labelled = Int(fraction * 1000) + seed
                rows.append(
                    ResultRow(
                        method: "bt", task: "next_category", evaluationProtocol: evaluationProtocol,
                        fraction: fraction, labelledN: labelled, seed: seed, accuracy: bt,
                        balancedAccuracy: bt - 0.1, macroF1: bt - 0.2, majorityAccuracy: 0.2))
                rows.append(
                    ResultRow(
                        method: "de, \"v2\"", task: "next_category",
                        evaluationProtocol: evaluationProtocol, fraction: fraction,
                        labelledN: labelled, seed: seed, accuracy: bt - 0.02 - 0.005 * Double(seed),
                        majorityAccuracy: 0.2))
            }
        }
    }
    return rows
}

/// An attribute's value by name (`XMLElement.attribute(forName:)` misses it under a default namespace on Linux).
func attribute(_ node: XMLNode, _ name: String) -> String? {
    (node as? XMLElement)?.attributes?.first { $0.name == name }?.stringValue
}

@Suite("Report", .enabled(if: TestDatabase.isAvailable))
struct ReportTests {
    let report: ExperimentReport

    init() throws {
        report = try storedReport(sampleRows(), experiment: "demo <&>", baseline: "de, \"v2\"")
    }

    @Test func labelEfficiencyHasMeanSdAndCountPerPoint() throws {
        #expect(report.labelEfficiency.count == 2 * 2 * 2)
        let first = report.labelEfficiency[0]
        #expect(first.method == "bt" && first.evaluationProtocol == "linear_probe" && first.fraction == 0.1)
        #expect(abs(first.mean - 0.32) < 1e-12)
        #expect(abs(try #require(first.sd) - 0.01) < 1e-12)
        #expect(first.n == 3 && first.labelledN == 101)
        #expect(abs(try #require(first.majorityAccuracy) - 0.2) < 1e-12)
        let balanced = try storedReport(sampleRows(), metric: .balancedAccuracy)
        #expect(balanced.labelEfficiency.count == 4)  // The baseline has no balanced accuracy.
        #expect(abs(balanced.labelEfficiency[0].mean - 0.22) < 1e-12)
        #expect(balanced.gains.isEmpty)
    }

    @Test func gainsArePairedPerSeed() throws {
        #expect(report.gains.count == 4)
        let gain = report.gains[0]
        // Differences per seed: 0.02, 0.025, 0.03 → mean 0.025, sd 0.005, t₂ = 4.3027.
        #expect(abs(gain.meanDifference - 0.025) < 1e-12)
        #expect(gain.pairs == 3)
        let halfWidth = 4.302652729749462 * 0.005 / 3.0.squareRoot()
        #expect(abs(try #require(gain.lower95) - (0.025 - halfWidth)) < 1e-9)
        #expect(abs(try #require(gain.upper95) - (0.025 + halfWidth)) < 1e-9)
        #expect(abs(try #require(gain.relativeGain) - 0.025 / 0.295) < 1e-9)
    }

    @Test func textTablesAreAligned() {
        let text = report.text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            lines[0] == #"label efficiency of "demo <&>": accuracy (ROC-AUC for multi-label), mean and sd over seeds"#)
        #expect(
            lines[1].hasPrefix(
                "task           protocol      method    fraction  labelled  seeds  acc/auc      sd  majority acc"))
        #expect(
            lines[2] == "next_category  linear_probe  bt             10%       101      3   0.3200  0.0100        0.2000")
        // Every row of the first table is as wide as the header.
        let widths = Set(lines[1...9].map(\.count))
        #expect(widths.count == 1)
        #expect(text.contains("gain over de, \"v2\""))
        #expect(
            text.contains("next_category  linear_probe  bt           10%      3  +0.0250  [+0.0126, +0.0374]     +8.5%")
        )
    }

    @Test func csvHasHeaderRowsAndQuoting() {
        let csv = report.labelEfficiencyCSV()
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.count == 1 + 8)
        #expect(lines[0] == "task,protocol,method,fraction,labelled_n,n,mean,sd,majority_accuracy")
        #expect(lines[1].hasPrefix("next_category,linear_probe,bt,0.1,101,3,0.32"))
        #expect(lines[3].hasPrefix(#"next_category,linear_probe,"de, ""v2""",0.1,101,3,"#))
        let gains = report.gainCSV().split(separator: "\n").map(String.init)
        #expect(gains.count == 1 + 4)
        #expect(gains[1].hasPrefix(#"next_category,linear_probe,bt,"de, ""v2""",0.1,3,0.025"#))
    }

    @Test func jsonRoundTrips() throws {
        let data = try report.json()
        let decoded = try JSONDecoder().decode(ExperimentReport.self, from: data)
        #expect(decoded == report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""label_efficiency""#) && text.contains(#""mean_difference""#))
    }

    @Test func svgIsValidXMLWithOneCurvePerMethodPerPanel() throws {
        let svg = report.svg()
        let document = try XMLDocument(xmlString: svg, options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(attribute(root, "viewBox")?.hasPrefix("0 0 ") == true)
        let panels = try root.nodes(forXPath: "//*[local-name()='g'][@class='panel']")
        #expect(panels.count == 2)
        for panel in panels {
            let curves = try panel.nodes(forXPath: ".//*[local-name()='g'][@class='curve']")
            #expect(curves.count == 2)
            let methods = curves.compactMap { attribute($0, "data-method") }
            #expect(methods == ["bt", "de, \"v2\""])
            let polylines = try panel.nodes(forXPath: ".//*[local-name()='polyline']")
            #expect(polylines.count == 2)
            let points = attribute(polylines[0], "points") ?? ""
            #expect(points.split(separator: " ").count == 2)
            #expect(try panel.nodes(forXPath: ".//*[local-name()='path'][@class='error-bar']").count == 4)
        }
        let labels = try root.nodes(forXPath: "//*[local-name()='text'][@class='axis-label']").compactMap(\.stringValue)
        #expect(labels.contains("labelled users (log scale)"))
        let legend = try root.nodes(forXPath: "//*[local-name()='g'][@class='legend-entry']")
        #expect(legend.count == 3)  // Two methods and the majority line.
        #expect(svg.contains("#0072B2") && svg.contains("#E69F00"))
        var options = SVGOptions()
        options.xAxis = .fraction
        let byFraction = try XMLDocument(xmlString: report.svg(options: options), options: [])
        let ticks = try byFraction.nodes(forXPath: "//*[local-name()='text'][@class='tick']").compactMap(\.stringValue)
        #expect(ticks.contains("10%") && ticks.contains("100%"))
    }

    @Test func columnsLayThePanelsOutSideBySide() throws {
        // Two tasks and one protocol: one column by default (a column per protocol), side by side with `columns`.
        let rows = sampleRows().filter { $0.evaluationProtocol == "linear_probe" }.flatMap { row -> [ResultRow] in
            var other = row
            other.task = "gender"
            return [row, other]
        }
        let twoTasks = try storedReport(rows, experiment: "two tasks")
        func size(_ svg: String) throws -> (String?, Int) {
            let root = try #require(try XMLDocument(xmlString: svg, options: []).rootElement())
            return (attribute(root, "width"), try root.nodes(forXPath: "//*[local-name()='g'][@class='panel']").count)
        }
        #expect(try size(twoTasks.svg()) == ("420.00", 2))
        var options = SVGOptions()
        options.columns = 3
        #expect(try size(twoTasks.svg(options: options)) == ("800.00", 2))
        options.columns = 1
        #expect(try size(report.svg(options: options)) == ("420.00", 2))
    }
}

@Suite("Report edge cases", .enabled(if: TestDatabase.isAvailable))
struct ReportEdgeCaseTests {
    @Test func emptyReportStillRendersEverywhere() throws {
        let report = try storedReport([], experiment: "empty")
        #expect(report.labelEfficiency.isEmpty && report.gains.isEmpty)
        #expect(report.text().contains("no baseline: no gain table"))
        #expect(report.labelEfficiencyCSV() == "task,protocol,method,fraction,labelled_n,n,mean,sd,majority_accuracy\n")
        let document = try XMLDocument(xmlString: report.svg(), options: [])
        #expect(document.rootElement()?.name == "svg")
    }

    @Test func singleSeedAndSingleFractionHaveNoIntervalButDraw() throws {
        let rows = [
            ResultRow(method: "a", task: "gender", evaluationProtocol: "linear_probe", fraction: 0.5, labelledN: 0,
                      seed: 0, accuracy: 0.6, rocAUC: 0.7),
            ResultRow(method: "b", task: "gender", evaluationProtocol: "linear_probe", fraction: 0.5, labelledN: 0,
                      seed: 0, accuracy: 0.5, rocAUC: 0.6),
        ]
        let report = try storedReport(rows, experiment: "one", metric: .rocAUC, baseline: "b")
        #expect(report.labelEfficiency.map(\.sd) == [nil, nil])
        #expect(report.gains.count == 1)
        #expect(report.gains[0].lower95 == nil)
        #expect(abs(report.gains[0].meanDifference - 0.1) < 1e-12)
        #expect(report.gainText().contains("–"))
        let document = try XMLDocument(xmlString: report.svg(), options: [])
        let curves = try document.nodes(forXPath: "//*[local-name()='g'][@class='curve']")
        #expect(curves.count == 2)
        #expect(try document.nodes(forXPath: "//*[local-name()='line'][@class='majority']").isEmpty)
    }
}

@Suite("Report from a spec", .enabled(if: TestDatabase.isAvailable))
struct ReportFromSpecTests {
    @Test func seriesFollowThePlanOrder() throws {
        let spec = try ExperimentSpec(
            json: specJSON(#""methods": [{"name": "dual_encoder"}, {"name": "barlow_twins"}]"#))
        // The database lists barlow_twins first; the report still lists dual_encoder first, as the spec does.
        let rows = sampleRows().map { row -> ResultRow in
            var row = row
            row.method = row.method == "bt" ? "barlow_twins" : "dual_encoder"
            return row
        }
        let report = try storedReport(rows, baseline: spec.baseline, methodOrder: ExperimentPlan.series(of: spec))
        #expect(report.baseline == "dual_encoder")
        #expect(report.labelEfficiency.first?.method == "dual_encoder")
        #expect(report.gains.map(\.method) == Array(repeating: "barlow_twins", count: 4))
        #expect(report.experiment == "demo")
    }
}

/// The SVG says what its error bars are and names the metric the tasks actually use.
@Suite("Report SVG titles", .enabled(if: TestDatabase.isAvailable))
struct ReportSVGTitleTests {
    @Test func singleLabelTasksAreTitledAccuracyAndTheErrorBarsAreExplained() throws {
        let svg = try storedReport(sampleRows()).svg()
        #expect(svg.contains("demo: accuracy vs labels (error bars ±1 sd over seeds)"), "\(svg.prefix(600))")
        #expect(!svg.contains("ROC-AUC"))
        #expect(ReportMetric.primary.title(forTasks: ["future_categories"]) == "macro ROC-AUC")
        #expect(ReportMetric.primary.title(forTasks: ["future_categories", "gender"]) == ReportMetric.primary.title)
        #expect(ReportMetric.macroF1.title(forTasks: ["gender"]) == ReportMetric.macroF1.title)
    }
}

/// `report --baseline`: gains against any series.
@Suite("Report baseline", .enabled(if: TestDatabase.isAvailable))
struct ReportBaselineTests {
    @Test func gainsAreMeasuredAgainstTheChosenSeries() throws {
        let byDefault = try storedReport(sampleRows())
        #expect(byDefault.gains.isEmpty && byDefault.verdicts.isEmpty, "no baseline, so no gains")
        let chosen = try storedReport(sampleRows(), baseline: "de, \"v2\"")
        #expect(!chosen.gains.isEmpty && chosen.gains.allSatisfy { $0.method == "bt" && $0.baseline == "de, \"v2\"" })
    }
}
