import { DASHBOARD_SCRIPT } from './dashboard-script.ts';
import { NAV_STYLE, navBar } from './layout.ts';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f5f6f8; }
header { background: #1d2430; color: #fff; padding: 12px 20px; }
header h1 { font-size: 18px; margin: 0; }
form { display: flex; flex-wrap: wrap; gap: 12px; padding: 12px 20px; background: #fff; border-bottom: 1px solid #dde; }
label { display: flex; flex-direction: column; font-size: 12px; color: #556; }
select, input { font: inherit; padding: 3px 6px; }
#status { padding: 8px 20px; color: #556; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(580px, 1fr)); gap: 12px; padding: 0 20px; }
.chart { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: 8px; }
.chart h3 { margin: 0 0 4px; font-size: 14px; }
.bar { fill: #3a7bd5; } .bar:hover { fill: #f08a24; }
.line { fill: none; stroke: #3a7bd5; stroke-width: 2; } .point { fill: #f08a24; }
.axis { stroke: #99a; } .tick { font-size: 10px; fill: #556; }
section.totals { padding: 12px 20px 40px; }
table { border-collapse: collapse; background: #fff; font-size: 12px; }
th, td { border: 1px solid #dde; padding: 3px 8px; } td[data-col] { text-align: right; }
td[data-col=month], td[data-col=category] { text-align: left; }
.empty { color: #889; }
`;

const CHARTS = [
  'chart-revenue-month',
  'chart-units-month',
  'chart-shipping-month',
  'chart-revenue-category',
  'chart-orders-month',
  'chart-revenue-channel',
  'chart-orders-channel',
  'chart-revenue-channel-group',
  'chart-revenue-campaign',
];

/** The dashboard: one self-contained HTML page (inline CSS and JS, nothing fetched from elsewhere). */
export function dashboardPage(token?: string): string {
  const select = (id: string, label: string) => `<label>${label}<select id="${id}"></select></label>`;
  const month = (id: string, label: string) => `<label>${label}<input type="month" id="${id}"></label>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dema — marts</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${NAV_STYLE}${STYLE}</style></head>
<body>${navBar('dashboard', token)}
<header><h1>dema — finance and marketing marts</h1></header>
<form onsubmit="return false">
${select('merchant', 'Merchant')}${select('currency', 'Currency')}${month('from', 'From')}${month('to', 'To')}
${select('category', 'Category (finance)')}${select('channel', 'Channel (marketing)')}
</form>
<div id="status"></div>
<div class="grid">${CHARTS.map((id) => `<div class="chart" id="${id}"></div>`).join('')}</div>
<section class="totals"><h3>Finance by month and category</h3><table id="finance-table"></table></section>
<script>${DASHBOARD_SCRIPT}</script>
</body></html>`;
}
