/// The page's files, embedded in the binary so the dashboard works offline and needs no resource lookup
/// (docs/dashboard.md).
enum DashboardAssets {
    /// `/`: the page.
    static let page = pageHTML
    /// `/app.js`: the script (no framework).
    static let script = scriptJS
    /// `/app.css`: the style.
    static let style = styleCSS
}
