import { buildSchema, type DocumentNode, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DocumentCache, resultKeyOf, sharedResultSubscribe } from '../../bench/baselines/expert-execution.js';

const SDL = 'type Query { ok: Boolean } type Event { n: Int! } type Subscription { events: Event! }';

/** A schema whose subscription yields `events` and counts how often a result is executed. */
function schemaOf(events: object[]): { schema: ReturnType<typeof buildSchema>; executions: { count: number } } {
  const schema = buildSchema(SDL);
  const executions = { count: 0 };
  const field = schema.getSubscriptionType()!.getFields()['events']!;
  field.subscribe = async function* () {
    yield* events;
  } as never;
  field.resolve = (event: object) => {
    executions.count += 1;
    return event;
  };
  return { schema, executions };
}

async function collect(iterable: unknown): Promise<ExecutionResult[]> {
  const out: ExecutionResult[] = [];
  for await (const result of iterable as AsyncIterable<ExecutionResult>) out.push(result);
  return out;
}

describe('B3 document cache', () => {
  it('parses and validates a query text once and hands back the same document', () => {
    const cache = new DocumentCache(buildSchema(SDL));
    const query = 'subscription { events { n } }';
    const first = cache.prepare(query);
    expect(Array.isArray(first)).toBe(false);
    expect(cache.prepare(query)).toBe(first);
    expect(cache.size).toBe(1);
  });

  it('returns the syntax or validation errors of an unusable query', () => {
    const cache = new DocumentCache(buildSchema(SDL));
    expect((cache.prepare('subscription {') as readonly Error[])[0]!.message).toMatch(/Syntax Error/);
    expect((cache.prepare('subscription { nope }') as readonly Error[])[0]!.message).toMatch(/Cannot query field "nope"/);
  });

  it('keeps at most its bound, dropping the oldest text', () => {
    const cache = new DocumentCache(buildSchema(SDL), 2);
    const a = cache.prepare('subscription A { events { n } }');
    cache.prepare('subscription B { events { n } }');
    cache.prepare('subscription C { events { n } }');
    expect(cache.size).toBe(2);
    expect(cache.prepare('subscription A { events { n } }')).not.toBe(a);
  });
});

describe('B3 shared subscription results', () => {
  it('executes an event once for every subscriber of the same operation and shares the result', async () => {
    const events = [{ n: 1 }, { n: 2 }];
    const { schema, executions } = schemaOf(events);
    const query = 'subscription { events { n } }';
    const document = new DocumentCache(schema).prepare(query) as DocumentNode;
    const run = () => sharedResultSubscribe({ schema, document, contextValue: { resultKey: resultKeyOf(query, null, null) } });
    const [first, second] = await Promise.all([collect(await run()), collect(await run())]);
    expect(first.map((r) => r.data)).toEqual([{ events: { n: 1 } }, { events: { n: 2 } }]);
    expect(second[0]).toBe(first[0]);
    expect(executions.count).toBe(2);
  });

  it('executes separately for a different selection of the same event', async () => {
    const { schema, executions } = schemaOf([{ n: 7 }]);
    const cache = new DocumentCache(schema);
    const results = await Promise.all(
      ['subscription { events { n } }', 'subscription { events { __typename } }'].map(async (query) =>
        collect(await sharedResultSubscribe({ schema, document: cache.prepare(query) as DocumentNode, contextValue: { resultKey: resultKeyOf(query, null, null) } })),
      ),
    );
    expect(results.map((r) => r[0]!.data)).toEqual([{ events: { n: 7 } }, { events: { __typename: 'Event' } }]);
    expect(executions.count).toBe(2);
  });

  it('keys results on the operation name and variables too', () => {
    expect(resultKeyOf('q', null, null)).not.toBe(resultKeyOf('q', 'Op', null));
    expect(resultKeyOf('q', null, { a: 1 })).not.toBe(resultKeyOf('q', null, { a: 2 }));
  });
});
