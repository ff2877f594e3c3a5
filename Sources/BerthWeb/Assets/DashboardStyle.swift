/// The page's style: plain CSS, light and dark.
let styleCSS = #"""
:root { --fg: #1b1f24; --muted: #636c76; --bg: #ffffff; --panel: #f5f7f9; --line: #d8dee4;
        --ready: #1a7f37; --rebinding: #9a6700; --failed: #cf222e; --pending: #0969da; --disabled: #8c959f;
        --in: #0969da; --out: #8250df; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #30363d;
          --ready: #3fb950; --rebinding: #d29922; --failed: #f85149; --pending: #58a6ff; --in: #58a6ff; --out: #bc8cff; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem 2rem; padding: .75rem 1.25rem; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 1.3rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
h2 small { color: var(--muted); font-weight: normal; }
#health { display: flex; gap: 1.5rem; margin: 0; }
#health div { display: flex; flex-direction: column; }
#health dt { color: var(--muted); font-size: .75rem; }
#health dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.connection { font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; border: 1px solid currentColor; }
.connection.up { color: var(--ready); }
.connection.down { color: var(--failed); }
main { padding: 1rem 1.25rem; }
.toolbar { display: flex; align-items: center; gap: 1rem; margin-bottom: .75rem; }
#filter { width: min(28rem, 100%); padding: .4rem .6rem; font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
#counts { color: var(--muted); }
#manifest-errors { border: 1px solid var(--failed); color: var(--failed); padding: .5rem .75rem; border-radius: 6px; margin-bottom: .75rem; white-space: pre-wrap; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .8rem; }
td.col-name { font-weight: 600; }
.sub { display: block; color: var(--muted); font-size: .8rem; max-width: 22rem; }
.phase { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; color: #fff; }
.phase.Ready { background: var(--ready); }
.phase.Rebinding { background: var(--rebinding); }
.phase.Failed { background: var(--failed); }
.phase.Pending { background: var(--pending); }
.phase.Disabled { background: var(--disabled); }
a { color: var(--pending); }
.num { font-variant-numeric: tabular-nums; }
svg.chart { display: block; }
svg.chart polyline { fill: none; stroke-width: 1.5; }
svg.chart polyline.in { stroke: var(--in); }
svg.chart polyline.out { stroke: var(--out); }
svg.chart line { stroke: var(--line); }
button { font: inherit; font-size: .8rem; padding: .2rem .5rem; margin: 0 .25rem .25rem 0; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: inherit; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
.result.ok { color: var(--ready); }
.result.bad { color: var(--failed); }
#events { list-style: none; padding: 0; margin: 0; font-size: .85rem; }
#events li { padding: .25rem 0; border-bottom: 1px dashed var(--line); }
#events time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .5rem; }
.kind { font-weight: 600; margin-right: .5rem; }
.kind.rebind { color: var(--rebinding); }
.kind.failed { color: var(--failed); }
.kind.ready { color: var(--ready); }
.kind.resync { color: var(--pending); }
"""#
