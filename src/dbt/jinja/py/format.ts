import { formatExp, formatFixed, formatGeneral } from './ops.ts';
import { PyError, repr, str, toNumber } from './values.ts';

/** str.format: `{}`, `{0}`, `{name}`, `{0.attr}`, `{!r}`, and the format-spec mini-language. */
export function strFormat(template: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return template.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g,
    (whole, field: string | undefined, conversion?: string, spec?: string) => {
      if (whole === '{{') return '{';
      if (whole === '}}') return '}';
      const [head, ...path] = (field ?? '').split(/(?=[.[])/);
      let value: unknown =
        head === '' || head === undefined
          ? args[auto++]
          : /^\d+$/.test(head)
            ? args[Number(head)]
            : kwargs[head];
      if (value === undefined)
        throw new PyError(
          head && !/^\d+$/.test(head) ? 'KeyError' : 'IndexError',
          `Replacement index ${head || auto - 1} out of range for positional args tuple`,
        );
      for (const step of path) {
        const key = step.startsWith('.') ? step.slice(1) : step.slice(1, -1);
        value = Array.isArray(value) ? value[Number(key)] : (value as Record<string, unknown>)[key];
      }
      if (conversion === 'r' || conversion === 'a') value = repr(value);
      else if (conversion === 's') value = str(value);
      return formatSpec(value, spec ?? '');
    },
  );
}

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

export function formatSpec(value: unknown, spec: string): string {
  const match = SPEC.exec(spec);
  if (!match) throw new PyError('ValueError', `Invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, sign, , alternate, zero, widthText, grouping, precisionText, type] = match;
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  const numeric =
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    (value as object)?.constructor?.name === 'PyFloat';
  let text: string;
  if (!numeric) {
    if (type && type !== 's')
      throw new PyError('ValueError', `Unknown format code '${type}' for object of type 'str'`);
    text = str(value);
    if (precision !== undefined) text = text.slice(0, precision);
  } else {
    const x = toNumber(value);
    const integer = typeof value === 'bigint' || (typeof value !== 'object' && Number.isInteger(value));
    switch (type) {
      case 'd':
      case 'n':
        text = String(typeof value === 'bigint' ? value : Math.trunc(x));
        break;
      case 'x':
      case 'X':
      case 'o':
      case 'b': {
        const radix = { x: 16, X: 16, o: 8, b: 2 }[type];
        text = (typeof value === 'bigint' ? value : Math.trunc(x)).toString(radix);
        if (type === 'X') text = text.toUpperCase();
        if (alternate) text = text.replace(/^(-?)/, `$10${type}`);
        break;
      }
      case 'c':
        text = String.fromCodePoint(x);
        break;
      case 'e':
      case 'E':
        text = formatExp(x, precision ?? 6, type === 'E');
        break;
      case 'f':
      case 'F':
        text = formatFixed(x, precision ?? 6);
        break;
      case 'g':
      case 'G':
        text = formatGeneral(x, precision ?? 6, alternate !== undefined);
        if (type === 'G') text = text.toUpperCase();
        break;
      case '%':
        text = `${formatFixed(x * 100, precision ?? 6)}%`;
        break;
      default:
        text = precision !== undefined && !integer ? formatGeneral(x, precision) : str(value);
    }
    if (grouping) {
      const [whole, fraction] = text.split('.') as [string, string | undefined];
      const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, grouping);
      text = fraction === undefined ? grouped : `${grouped}.${fraction}`;
    }
    if (sign === '+' && !text.startsWith('-')) text = `+${text}`;
    else if (sign === ' ' && !text.startsWith('-')) text = ` ${text}`;
  }
  const width = widthText === undefined ? 0 : Number(widthText);
  const fill = fillChar ?? (zero && !alignChar ? '0' : ' ');
  const align = alignChar ?? (zero && numeric ? '=' : numeric ? '>' : '<');
  const missing = width - text.length;
  if (missing <= 0) return text;
  if (align === '<') return text + fill.repeat(missing);
  if (align === '>') return fill.repeat(missing) + text;
  if (align === '^') {
    const left = Math.floor(missing / 2);
    return fill.repeat(left) + text + fill.repeat(missing - left);
  }
  const signPart = /^[-+ ]/.test(text) ? text[0]! : '';
  return signPart + fill.repeat(missing) + text.slice(signPart.length);
}
