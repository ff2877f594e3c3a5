/// The page: a skeleton the script fills from the event stream.
let pageHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>berth</title>
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body>
<header>
  <h1>berth</h1>
  <span id="connection" class="connection down" title="live updates">connecting…</span>
  <dl id="health">
    <div><dt>watches</dt><dd id="health-watches">–</dd></div>
    <div><dt>API requests/min</dt><dd id="health-requests">–</dd></div>
    <div><dt>network resyncs</dt><dd id="health-resyncs">–</dd></div>
    <div><dt>daemon</dt><dd id="health-daemon">–</dd></div>
  </dl>
</header>
<main>
  <div id="manifest-errors" hidden></div>
  <div class="toolbar">
    <input id="filter" type="search" placeholder="filter by name, target, namespace, pod or phase" aria-label="filter" autocomplete="off">
    <span id="counts"></span>
  </div>
  <table id="forwards">
    <thead>
      <tr>
        <th>forward</th><th>phase</th><th>local</th><th>target</th><th>pod</th><th>transport</th>
        <th>connections</th><th>traffic (in / out)</th><th>rebinds</th><th>actions</th>
      </tr>
    </thead>
    <tbody></tbody>
  </table>
  <section>
    <h2>events <small>newest first</small></h2>
    <ol id="events"></ol>
  </section>
</main>
</body>
</html>
"""#
