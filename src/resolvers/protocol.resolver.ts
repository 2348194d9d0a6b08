import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ProtocolService, type ProtocolRecord } from '../alerting/protocol.service.js';
import { SimulationService } from '../alerting/simulation.service.js';
import type { RequestContext } from '../context.js';
import { Auth } from '../schema/auth.directive.js';
import { ProtocolInput, UpdateProtocolInput } from '../schema/protocol/protocol.input.js';
import { ProtocolView } from '../schema/protocol/protocol.type.js';
import { ProtocolSimulationView } from '../schema/protocol/simulation.type.js';

/** Who may read protocols: the clinical roles (they receive the alerts) and ADMIN. */
const PROTOCOL_READERS = ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'ADMIN'] as const;
/** Who may configure protocols. */
const CONFIGURERS = ['CARE_COORDINATOR'] as const;

const view = (record: ProtocolRecord) => new ProtocolView(record.protocol, record.versions);

/** Care protocols: configured by care coordinators, read by clinicians; versioned, dry-runnable. */
@Resolver(() => ProtocolView)
export class ProtocolResolver {
  @Query(() => [ProtocolView], { description: "The tenant's care protocols, the built-in library first." })
  @Auth.roles(PROTOCOL_READERS, 'OPERATIONAL')
  async protocols(@Ctx() ctx: RequestContext): Promise<ProtocolView[]> {
    return (await new ProtocolService(ctx).list()).map(view);
  }

  @Query(() => ProtocolView, { description: 'One care protocol with its versions.' })
  @Auth.roles(PROTOCOL_READERS, 'OPERATIONAL')
  async protocol(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ProtocolView> {
    return view(await new ProtocolService(ctx).get(id));
  }

  @Mutation(() => ProtocolView, { description: 'Creates a custom protocol (version 1, active). Invalid definitions are refused and stored nowhere.' })
  @Auth.roles(CONFIGURERS, 'OPERATIONAL')
  async createProtocol(@Arg('input', () => ProtocolInput) input: ProtocolInput, @Ctx() ctx: RequestContext): Promise<ProtocolView> {
    return view(await new ProtocolService(ctx).create(input));
  }

  @Mutation(() => ProtocolView, { description: 'Writes a new immutable version of a protocol (built-ins: tighten only). Alerts keep the version that raised them.' })
  @Auth.roles(CONFIGURERS, 'OPERATIONAL')
  async updateProtocol(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateProtocolInput) input: UpdateProtocolInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ProtocolView> {
    return view(await new ProtocolService(ctx).update(id, input));
  }

  @Mutation(() => ProtocolView, { description: 'Enables or disables a protocol. Built-in protocols cannot be disabled.' })
  @Auth.roles(CONFIGURERS, 'OPERATIONAL')
  async setProtocolEnabled(
    @Arg('id', () => ID) id: string,
    @Arg('enabled', () => Boolean) enabled: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<ProtocolView> {
    return view(await new ProtocolService(ctx).setEnabled(id, enabled));
  }

  @Mutation(() => ProtocolView, { description: 'Rollback: makes an older (or draft) version the active one; the current one is retired.' })
  @Auth.roles(CONFIGURERS, 'OPERATIONAL')
  async activateProtocolVersion(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Ctx() ctx: RequestContext,
  ): Promise<ProtocolView> {
    return view(await new ProtocolService(ctx).activateVersion(id, version));
  }

  @Query(() => ProtocolSimulationView, {
    description:
      "Dry run: what a draft protocol would do against a patient's history at `at` (default now), with a per-clause trace, and optionally a back-test over the last `backtestDays` days of your patients. Changes nothing.",
  })
  @Auth.roles(CONFIGURERS, 'BY_RECORD')
  async simulateProtocol(
    @Arg('input', () => ProtocolInput) input: ProtocolInput,
    @Arg('patientId', () => ID) patientId: string,
    @Arg('at', () => Date, { nullable: true }) at: Date | null,
    @Arg('backtestDays', () => Int, { nullable: true }) backtestDays: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<ProtocolSimulationView> {
    return new ProtocolSimulationView(await new SimulationService(ctx).simulate(input, patientId, at ?? null, backtestDays ?? null));
  }
}
