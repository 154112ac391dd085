#!/usr/bin/env bash
# check-html.sh: render a report as HTML (poolbench report --format html),
# load it in headless Chromium, take a screenshot and check it: the PNG has
# the window's size, is not blank (distinct colours) and shows the chart
# colours only the inline SVG charts draw. Needs Debian's chromium
# (apt-get install -y chromium) or POOLBENCH_CHROMIUM=/path/to/chrome.
#
#   scripts/check-html.sh [screenshot.png]
#
# Exit 0: the page rendered; 1: a check failed; 2: no browser.
set -euo pipefail
cd "$(dirname "$0")/.."
shot=${1:-/tmp/poolbench-report.png}
browser=${POOLBENCH_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$browser" ]; then
  echo "check-html: no browser at $browser (apt-get install -y chromium)" >&2
  exit 2
fi
# The test renders a fixed report through WriteHTML (the code behind
# poolbench report --format html), drives the browser and asserts on the
# screenshot; -v prints what it saw.
POOLBENCH_CHROMIUM=$browser POOLBENCH_SCREENSHOT=$shot \
  go test ./reports -run '^TestHTML' -count=1 -v | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|screenshot|html_test'
echo "check-html: screenshot in $shot"
