import { pythonRe } from './python-re.ts';

/** `modules.datetime`, `modules.re`, `modules.pytz`: the parts dbt projects use. */

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function strftime(date: Date, format: string): string {
  return format.replace(/%([YmdHMSfjz%])/g, (_, code: string) => {
    switch (code) {
      case 'Y':
        return String(date.getUTCFullYear());
      case 'm':
        return pad(date.getUTCMonth() + 1);
      case 'd':
        return pad(date.getUTCDate());
      case 'H':
        return pad(date.getUTCHours());
      case 'M':
        return pad(date.getUTCMinutes());
      case 'S':
        return pad(date.getUTCSeconds());
      case 'f':
        return pad(date.getUTCMilliseconds() * 1000, 6);
      case 'z':
        return '+0000';
      default:
        return '%';
    }
  });
}

/** A Date that behaves like Python's datetime in templates (str() is `2023-01-02 03:04:05.000000+00:00`). */
export function pyDate(date: Date) {
  return Object.assign(date, {
    toString: () => strftime(date, '%Y-%m-%d %H:%M:%S.%f+00:00'),
    strftime: (format: string) => strftime(date, format),
    isoformat: () => date.toISOString().replace('Z', '+00:00'),
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
  });
}

export function modulesContext() {
  return {
    datetime: {
      datetime: {
        now: () => pyDate(new Date()),
        utcnow: () => pyDate(new Date()),
        fromisoformat: (text: string) => pyDate(new Date(text)),
      },
      date: { today: () => pyDate(new Date()) },
      timedelta: (options: Record<string, number>) =>
        ((options.days ?? 0) * 86400 +
          (options.hours ?? 0) * 3600 +
          (options.minutes ?? 0) * 60 +
          (options.seconds ?? 0)) *
        1000,
    },
    pytz: { utc: 'UTC', timezone: (name: string) => name },
    re: pythonRe(),
    itertools: {},
  };
}
