// Evaluates IAM requests with @cloud-copilot/iam-simulate, a test-time tool (AGPL-3.0): it is a
// devDependency of package.json and is never bundled into anything that is deployed.
//
// One JSON simulation per line on stdin; one JSON verdict per line on stdout, in order:
//   {decision, errors, ignoredContextKeys, allow: [statement...], deny: [statement...]}
// where each statement is {policy, sid}: the statements that decided (or, for a denial, the
// explicit denies). The process stays up until stdin closes, so one Node start serves a run.
import { createInterface } from 'node:readline'
import { loadPolicy } from '@cloud-copilot/iam-policy'
import { runSimulation } from '@cloud-copilot/iam-simulate'

// The core engine, for the keys the validated entry point drops (below). The package exports only
// its entry point, so its modules are reached beside it; the version is pinned in package-lock.
const engine = new URL('.', import.meta.resolve('@cloud-copilot/iam-simulate'))
const { authorize } = await import(new URL('core_engine/CoreSimulatorEngine.js', engine))
const { AwsRequestImpl } = await import(new URL('request/request.js', engine))
const { RequestContextImpl } = await import(new URL('requestContext.js', engine))
const { DiscoveryContextKeyConstraints } = await import(new URL('context_keys/discoveryContextKeyConstraints.js', engine))

// What the package's runUnsafeSimulation does, with a name on the resource policy (0.1.173's
// leaves it unnamed and fails on it) and the whole analysis returned.
function authorizeUnfiltered(simulation, contextVariables) {
  const named = (policies) => (policies ?? []).map((p) => loadPolicy(p.policy, { name: p.name }))
  const request = new AwsRequestImpl(
    simulation.request.principal,
    { resource: simulation.request.resource.resource, accountId: simulation.request.resource.accountId },
    simulation.request.action,
    new RequestContextImpl(contextVariables),
  )
  return authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: named(simulation.identityPolicies),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: simulation.resourcePolicy ? loadPolicy(simulation.resourcePolicy, { name: 'resource' }) : undefined,
    permissionBoundaries: simulation.permissionBoundaryPolicies ? named(simulation.permissionBoundaryPolicies) : undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  })
}

function statements(analysis, side, effect) {
  const part = analysis?.[side]
  if (!part) return []
  const found = effect === 'Allow' ? part.allowStatements : part.denyStatements
  return (found ?? []).map((s) => ({
    policy: s.policyId ?? side.replace('Analysis', ''),
    sid: s.statement?.Sid ?? s.explain?.identifier ?? null,
  }))
}

// The organization's policies (none are simulated: RCPFullAWSAccess is implicit) never decide.
// iam-simulate 0.1.173 matches variable condition keys only of the form `prefix/Name`
// (aws:PrincipalTag/...): it drops KMS's `kms:EncryptionContext:<key>`, which every SSE-KMS and
// CloudWatch Logs call sends, as if the action did not take it.
const UNSUPPORTED_VARIABLE_KEY = /^kms:encryptioncontext:.+/i

const sides = ['identityAnalysis', 'resourceAnalysis', 'permissionBoundaryAnalysis']

async function evaluate(line) {
  const simulation = JSON.parse(line)
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { decision: 'Error', errors: response.errors.message ?? JSON.stringify(response.errors) }
  }
  if (response.resultType !== 'single') {
    return { decision: 'Error', errors: `a wildcard resource was simulated (${simulation.request.resource.resource})` }
  }
  const analysis = response.result.analysis
  const ignored = response.result.ignoredContextKeys ?? []
  const unsupported = ignored.filter((key) => UNSUPPORTED_VARIABLE_KEY.test(key))
  if (unsupported.length > 0) {
    // The request passed validation; only the key filter lacks these keys: evaluate it again,
    // with them, by the same core engine.
    const context = { ...simulation.request.contextVariables }
    for (const key of ignored) if (!unsupported.includes(key)) delete context[key]
    const full = authorizeUnfiltered(simulation, context)
    return {
      decision: full.result,
      ignoredContextKeys: ignored.filter((key) => !unsupported.includes(key)),
      allow: sides.flatMap((side) => statements(full, side, 'Allow')),
      deny: sides.flatMap((side) => statements(full, side, 'Deny')),
    }
  }
  return {
    decision: response.overallResult,
    ignoredContextKeys: response.result.ignoredContextKeys ?? [],
    allow: sides.flatMap((side) => statements(analysis, side, 'Allow')),
    deny: sides.flatMap((side) => statements(analysis, side, 'Deny')),
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (!line.trim()) continue
  let verdict
  try {
    verdict = await evaluate(line)
  } catch (error) {
    verdict = { decision: 'Error', errors: String(error?.message ?? error) }
  }
  process.stdout.write(JSON.stringify(verdict) + '\n')
}
