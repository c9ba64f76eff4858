import type { ReportRow, ReportRun } from '../../application/import/import-report.js';

/** A part of a response list: one element as it is, or a run of the report, each row made into an element. */
export type ListPart<T> = { value: T } | { run: ReportRun; element: (row: ReportRow) => T };

/**
 * A repeated field of a response, read from the packed report element by element as the
 * message is encoded, so the million elements of a big import never exist at once: the
 * encoders read a list as `length` and `list[i]` for i upwards (@bufbuild/protobuf 2.x
 * to-binary.js compileListField, to-json.js compileListValue; test/unit/transport/
 * import-response.test.ts compares the bytes and JSON with those of a plain array). Reading in
 * order costs one row each; reading backwards starts again from the first part. The list is
 * read-only: nothing writes to a response once it is built.
 */
export function lazyList<T>(parts: readonly ListPart<T>[], length: number): T[] {
  let iterator: Iterator<T> | undefined;
  let index = -1;
  let current: T | undefined;
  const at = (i: number): T | undefined => {
    if (i < 0 || i >= length) return undefined;
    if (!iterator || i < index) {
      iterator = elements(parts);
      index = -1;
    }
    while (index < i) {
      current = iterator.next().value as T;
      index++;
    }
    return current;
  };
  const indexOf = (prop: string | symbol) => (typeof prop === 'string' && /^(0|[1-9]\d*)$/.test(prop) ? Number(prop) : -1);
  return new Proxy([] as T[], {
    get(target, prop, receiver) {
      if (prop === 'length') return length;
      if (prop === Symbol.iterator) return () => elements(parts);
      const i = indexOf(prop);
      return i >= 0 ? at(i) : Reflect.get(target, prop, receiver);
    },
    has: (target, prop) => {
      const i = indexOf(prop);
      return i >= 0 ? i < length : Reflect.has(target, prop);
    },
    set: () => false,
  });
}

function* elements<T>(parts: readonly ListPart<T>[]): Generator<T> {
  for (const part of parts) {
    if ('value' in part) yield part.value;
    else for (const row of part.run.rows()) yield part.element(row);
  }
}
