import { Field, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';

/** Relay page info. */
@ObjectType({ description: 'Where a page sits in its list.' })
export class PageInfo {
  @Field(() => Boolean)
  @Auth.category('OPERATIONAL')
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  @Auth.category('OPERATIONAL')
  endCursor!: string | null;
}

/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 100;
