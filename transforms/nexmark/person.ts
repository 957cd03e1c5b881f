/** New-person events (Beam's PersonGenerator): ids, and columns filled one person at a time. */
import * as arrow from "apache-arrow";
import { NumberColumn, StringColumn, recordBatch } from "./columns";
import { FIRST_PERSON_ID, PERSON_PROPORTION, PROPORTION_DENOMINATOR, type GeneratorConfig } from "./config";
import type { JavaRandom } from "./java-random";
import { nextExtra, nextString } from "./strings";

/** Yet-to-be-created people a bid or auction may refer to. */
const PERSON_ID_LEAD = 10;
const US_STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
const FIRST_NAMES = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
const LAST_NAMES = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];

/** The schema of person events. */
export const PERSON_SCHEMA = new arrow.Schema(
  ["id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"].map(
    (n) => new arrow.Field(n, ["id", "dateTime"].includes(n) ? new arrow.Float64() : new arrow.Utf8(), true),
  ),
);

/** A person event as a row. */
export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

/** The last person id (base 0) valid at event `eventId`; the new person's id when the event is a person. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}

/** A random active person id (base 0), a few ids ahead of the last allowed. */
export function nextBase0PersonId(eventId: number, random: JavaRandom, config: GeneratorConfig): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const active = Math.min(numPeople, config.numActivePeople);
  return numPeople - active + random.nextInt(active + PERSON_ID_LEAD);
}

/** Columns of person events under construction. */
export class PersonColumns {
  readonly id: NumberColumn;
  readonly name: StringColumn;
  readonly emailAddress: StringColumn;
  readonly creditCard: StringColumn;
  readonly city: StringColumn;
  readonly state: StringColumn;
  readonly dateTime: NumberColumn;
  readonly extra: StringColumn;
  constructor(capacity: number, avgBytes: number) {
    this.id = new NumberColumn(capacity);
    this.name = new StringColumn(capacity, 12);
    this.emailAddress = new StringColumn(capacity, 14);
    this.creditCard = new StringColumn(capacity, 19);
    this.city = new StringColumn(capacity, 8);
    this.state = new StringColumn(capacity, 2);
    this.dateTime = new NumberColumn(capacity);
    this.extra = new StringColumn(capacity, avgBytes);
  }
  /** Rows written so far. */
  get length(): number {
    return this.id.length;
  }
  /** The rows as a record batch of {@link PERSON_SCHEMA}. */
  batch(): arrow.RecordBatch {
    return recordBatch(PERSON_SCHEMA, [this.id, this.name, this.emailAddress, this.creditCard, this.city, this.state, this.dateTime, this.extra].map((c) => c.data()));
  }
}

/** Writes the person of event `eventId`, at event time `timestamp`. */
export function nextPerson(eventId: number, random: JavaRandom, timestamp: number, config: GeneratorConfig, out: PersonColumns): void {
  out.id.push(lastBase0PersonId(eventId) + FIRST_PERSON_ID);
  const first = FIRST_NAMES[random.nextInt(FIRST_NAMES.length)];
  const last = LAST_NAMES[random.nextInt(LAST_NAMES.length)];
  out.name.text(first);
  out.name.byte(32);
  out.name.text(last);
  out.name.end();
  const emailStart = out.emailAddress.size;
  nextString(random, 7, out.emailAddress);
  out.emailAddress.byte(64);
  nextString(random, 5, out.emailAddress);
  out.emailAddress.text(".com");
  const emailLength = out.emailAddress.size - emailStart;
  out.emailAddress.end();
  for (let i = 0; i < 4; i++) {
    if (i > 0) out.creditCard.byte(32);
    out.creditCard.text(String(random.nextInt(10000)).padStart(4, "0"));
  }
  out.creditCard.end();
  const city = US_CITIES[random.nextInt(US_CITIES.length)];
  const state = US_STATES[random.nextInt(US_STATES.length)];
  out.city.text(city);
  out.city.end();
  out.state.text(state);
  out.state.end();
  out.dateTime.push(timestamp);
  const size = 8 + first.length + 1 + last.length + emailLength + 19 + city.length + state.length;
  nextExtra(random, size, config.avgPersonByteSize, out.extra);
  out.extra.end();
}
