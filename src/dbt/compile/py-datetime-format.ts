/** Python's date formatting (strftime) for modules.datetime (py-datetime.ts). */

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Days since 1970-01-01 for a civil date (proleptic Gregorian, as Python). */
export function dayNumber(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return Math.floor(date.getTime() / 86_400_000);
}

/** The fields strftime reads: a date's, and a datetime's time of day and zone. */
export interface DateFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** Days since 1970-01-01. */
  readonly days: number;
  weekday(): number;
  readonly hour?: number;
  readonly minute?: number;
  readonly second?: number;
  readonly microsecond?: number;
  readonly utc?: boolean;
}

/** Python's strftime for the codes dbt projects use; an unknown code stays as written. */
export function strftime(value: DateFields, format: string): string {
  const time = value;
  const hour = time?.hour ?? 0;
  const yearDay = value.days - dayNumber(value.year, 1, 1) + 1;
  return format.replace(/%([a-zA-Z%])/g, (whole, code: string) => {
    switch (code) {
      case 'Y':
        return pad(value.year, 4);
      case 'y':
        return pad(value.year % 100);
      case 'm':
        return pad(value.month);
      case 'd':
        return pad(value.day);
      case 'H':
        return pad(hour);
      case 'I':
        return pad(hour % 12 || 12);
      case 'p':
        return hour < 12 ? 'AM' : 'PM';
      case 'M':
        return pad(time?.minute ?? 0);
      case 'S':
        return pad(time?.second ?? 0);
      case 'f':
        return pad(time?.microsecond ?? 0, 6);
      case 'j':
        return pad(yearDay, 3);
      case 'a':
        return DAYS[value.weekday()]!.slice(0, 3);
      case 'A':
        return DAYS[value.weekday()]!;
      case 'w':
        return String((value.weekday() + 1) % 7);
      case 'b':
        return MONTHS[value.month - 1]!.slice(0, 3);
      case 'B':
        return MONTHS[value.month - 1]!;
      case 'z':
        return time?.utc ? '+0000' : '';
      case 'Z':
        return time?.utc ? 'UTC' : '';
      case '%':
        return '%';
      default:
        return whole;
    }
  });
}
