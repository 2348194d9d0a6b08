import { gqlOk } from './graphql-client.js';

/** A screening instrument as the server defines it, with what the web app's tests need of it. */
export interface Instrument {
  id: string;
  name: string;
  items: Array<{ number: number; text: string; selfHarm: boolean; safetyMessage: string | null; options: Array<{ answer: number; label: string; score: number }> }>;
}

/** Reads an instrument's definition (`EPDS`, `PHQ9`, `GAD7`) from the server as the user of `token`. */
export async function loadInstrument(url: string, token: string, id: 'EPDS' | 'PHQ9' | 'GAD7'): Promise<Instrument> {
  const data = await gqlOk<{ screeningInstrument: Instrument }>(
    url,
    `{ screeningInstrument(id: ${id}) { id name items { number text selfHarm safetyMessage options { answer label score } } } }`,
    {},
    token,
  );
  return data.screeningInstrument;
}
