/**
 * Everything the bot says in chat that is not a Kubernetes name or a command, in English and
 * Simplified Chinese: one catalogue (this file). Command names, flags and kubectl terms stay as they
 * are in both. `{name}` placeholders are filled from params. English is also what logs and the audit
 * log carry, so they read the same whatever a person's language.
 */
export type Lang = 'en' | 'zh';
export const LANGS: readonly Lang[] = ['en', 'zh'];

/** One thing said, in both languages. */
export interface Text {
  en: string;
  zh: string;
}

const CATALOGUE = {
  // --- dispatcher -----------------------------------------------------------------------------
  'dispatch.thinking': ['🤔 Looking into it…', '🤔 正在查询…'],
  'dispatch.thinking.body': ['The answer replaces this card.', '答案会替换这张卡片。'],
  'dispatch.busy': ['opsbot is busy — please try again in a minute', 'opsbot 正忙，请一分钟后重试'],
  'dispatch.handled': ['Already handled', '已处理'],
  'dispatch.working': ['Working on it — the result follows in this chat', '处理中，结果稍后发到本群'],
  'dispatch.follows': ['The answer follows in this chat', '结果稍后发到本群'],

  // --- store faults ----------------------------------------------------------------------------
  'store.full': ['Storage is full — changes are refused until it has room again', '存储已满 — 腾出空间前拒绝一切变更'],
  'store.unwritable': ['Storage cannot be written ({reason}) — changes are refused', '存储无法写入（{reason}）— 暂停一切变更'],
  'store.tellOperator': ['Nothing was changed. Read-only commands still answer. Tell the operator: opsbot\'s data directory (or OPSBOT_STORE) needs attention.', '未做任何变更，只读命令仍可使用。请通知运维人员：opsbot 的数据目录（或 OPSBOT_STORE）需要处理。'],

  // --- approval card ---------------------------------------------------------------------------
  'approval.what': ['**{who}** wants to **{command}** {target}', '**{who}** 申请 **{command}** {target}'],
  'approval.change': ['Change', '变更'],
  'approval.dryRun': ['{change} · dry run ✓', '{change} · 预检通过 ✓'],
  'approval.risk': ['Risk', '风险'],
  'approval.risk.low': ['low', '低'],
  'approval.risk.medium': ['medium', '中'],
  'approval.risk.high': ['high', '高'],
  'approval.approval': ['Approval', '审批'],
  'approval.steps': ['Approvals ({n} steps)', '审批（{n} 级）'],
  'approval.auto': ['auto-approved: {rule}', '策略自动批准：{rule}'],
  'approval.until': ['→ {role} (until {at}, in {left})', '→ {role}（{at} 前，还剩 {left}）'],
  'approval.byPolicy': ['policy', '策略'],
  'approval.pending': ['Approval needed · {id}', '待审批 · {id}'],
  'approval.pending.footer': ['expires {at} (in {left}) · or type /approve {id} · /reject {id} <reason>', '{at} 过期（剩 {left}）· 也可输入 /approve {id} · /reject {id} <原因>'],
  'approval.executing': ['Approved by {by} — executing… · {id}', '{by} 已批准 — 执行中… · {id}'],
  'approval.succeeded': ['Done · {id} · approved by {by}', '已完成 · {id} · 批准人 {by}'],
  'approval.failed': ['Failed · {id}', '执行失败 · {id}'],
  'approval.rejected': ['Rejected · {id} · by {by} {at}', '已拒绝 · {id} · {by} {at}'],
  'approval.expired': ['Expired · {id}', '已过期 · {id}'],
  'approval.cancelled': ['Cancelled · {id} · by {by}', '已取消 · {id} · {by}'],
  'approval.done': ['done', '完成'],
  'approval.failedPlain': ['failed', '失败'],
  'approval.reason': ['Reason: {reason}', '原因：{reason}'],
  'approval.nothingChanged': ['Nothing was changed.', '未做任何变更。'],
  'approval.expiredBody': ['Nobody approved by {at}. Nothing was changed; send the command again if it is still needed.', '{at} 前无人批准，未做任何变更；如仍需要，请重新发送命令。'],
  'approval.button.approve': ['Approve', '批准'],
  'approval.button.reject': ['Reject', '拒绝'],
  'approval.state.pending': ['pending', '待审批'],
  'approval.state.executing': ['executing', '执行中'],
  'approval.state.succeeded': ['succeeded', '已完成'],
  'approval.state.failed': ['failed', '执行失败'],
  'approval.state.rejected': ['rejected', '已拒绝'],
  'approval.state.expired': ['expired', '已过期'],
  'approval.state.cancelled': ['cancelled', '已取消'],
  'approval.typeInstead': ['Reply `/approve {id}` · `/reject {id} <reason>`', '回复 `/approve {id}` 批准 · `/reject {id} <原因>` 拒绝'],

  // --- approval refusals -----------------------------------------------------------------------
  'approval.err.expiredAt': ['{id} expired at {at}; nothing was changed', '{id} 已于 {at} 过期，未做任何变更'],
  'approval.err.autoApproved': ['{id} was auto-approved by policy', '{id} 已由策略自动批准'],
  'approval.err.approvedBy': ['{id} was already approved by {by}{at}{state}', '{id} 已由 {by}{at} 批准{state}'],
  'approval.err.executingSuffix': [' and is executing', '，正在执行'],
  'approval.err.stateSuffix': [' ({state})', '（{state}）'],
  'approval.err.at': [' at {at}', ' 于 {at}'],
  'approval.err.rejectedBy': ['{id} was already rejected by {by}{at}', '{id} 已被 {by}{at} 拒绝'],
  'approval.err.cancelledBy': ['{id} was cancelled by {by}{at}', '{id} 已被 {by}{at} 取消'],
  'approval.err.state': ['{id} is {state}', '{id} 状态为 {state}'],
  'approval.err.tooFast': ['{id} is changing too fast; try again', '{id} 状态变化过快，请重试'],
  'approval.err.onlyRequester': ['only {name} can cancel {id}; approvers can /reject it', '只有 {name} 可以取消 {id}；审批人可以 /reject'],
  'approval.err.none': ['no approval {id}', '没有审批 {id}'],
  'approval.err.otherChat': ['approval {id} belongs to another chat; decide it there', '审批 {id} 属于另一个会话，请在那里处理'],
  'approval.err.gone': ['/{command} is no longer a mutating command', '/{command} 已不再是变更命令'],
  'approval.err.personGone': ['{name} is no longer in the policy', '{name} 已不在策略中'],
  'approval.err.drift': ['{target} changed since the request ({drift}); nothing was run — send a new request', '{target} 在申请后已变化（{drift}），未执行任何操作 — 请重新申请'],
  'approval.err.driftWas': ['was {before}, now {now}', '原为 {before}，现为 {now}'],
  'approval.recovered.applied': ['recorded after a restart, from what the cluster shows: the change is in place — {says}', '重启后根据集群现状补记：变更已生效 — {says}'],
  'approval.recovered.notApplied': ['interrupted by a restart before the change reached the cluster: {target} still shows {before} — nothing changed; request it again if it is still needed', '执行中被重启打断，变更未到达集群：{target} 仍为 {before} — 未做任何变更；如仍需要请重新申请'],
  'approval.recovered.changed': ['interrupted by a restart while executing: {target} now shows {now} (was {before}) — check the cluster before retrying', '执行中被重启打断：{target} 现为 {now}（原为 {before}）— 重试前请先检查集群'],
  'approval.recovered.observed': ['interrupted by a restart while executing; the cluster now says: {says} — check it before retrying', '执行中被重启打断；集群现状：{says} — 重试前请先检查'],
  'approval.recovered.unread': ['interrupted by a restart while executing, and the cluster could not be read ({says}) — check the cluster before retrying', '执行中被重启打断，且无法读取集群（{says}）— 重试前请先检查集群'],
  'approval.err.internal': ['internal error during execution — see the bot log', '执行时发生内部错误 — 详见机器人日志'],
  'approval.err.noChain': ['no approval chain for risk {risk} in the policy', '策略中没有风险等级 {risk} 的审批链'],
  'authz.err.noStep': ['{id} has no open step', '{id} 没有待审批的步骤'],
  'authz.err.self': ['{name} requested {id}; someone else must approve it', '{name} 是 {id} 的申请人，需由他人批准'],
  'authz.err.role': ['{name} may not approve {id} (needs role {role}{step})', '{name} 无权批准 {id}（需要角色 {role}{step}）'],
  'authz.err.stepOf': [', step {n}/{of}', '，第 {n}/{of} 级'],
  'authz.err.sameApprover': ['{name} already approved an earlier step of {id}; the next step needs a different person', '{name} 已批准 {id} 的前一级，下一级需由其他人批准'],
  'authz.err.approveNs': ['{name} may not approve changes in namespace "{ns}"', '{name} 无权批准命名空间 "{ns}" 中的变更'],
  'authz.err.run': ['{name} ({roles}) may not run /{command}', '{name}（{roles}）无权执行 /{command}'],
  'authz.err.request': ['{name} ({roles}) may not request /{command}', '{name}（{roles}）无权申请 /{command}'],
  'authz.err.nsUnmanaged': ['namespace "{ns}" is not managed by opsbot (allowed: {allowed})', '命名空间 "{ns}" 不受 opsbot 管理（允许：{allowed}）'],
  'authz.err.nsDenied': ['{name} may not use /{command} in namespace "{ns}"', '{name} 无权在命名空间 "{ns}" 中使用 /{command}'],
  'authz.err.unknownUser': ['{platform} user "{user}" is not in the opsbot policy; ask an admin to add you under people', '{platform} 用户 "{user}" 不在 opsbot 策略中，请联系管理员在 people 下添加'],
  'authz.err.auditApprovers': ['{name} may not read the audit log (approvers only)', '{name} 无权查看审计日志（仅审批人）'],
  'authz.err.notifyApprovers': ['{name} may not send test notifications (approvers only)', '{name} 无权发送测试通知（仅审批人）'],

  // --- buttons ---------------------------------------------------------------------------------
  'button.malformed': ['button payload is malformed', '按钮数据格式错误'],
  'button.badSignature': ['button payload signature is invalid', '按钮签名无效'],
  'button.expired': ['button has expired; run the command again', '按钮已过期，请重新执行命令'],
  'button.unknown': ['button is unknown or has expired; run the command again', '按钮未知或已过期，请重新执行命令'],
  'button.otherChat': ['button belongs to another chat', '按钮属于另一个会话'],
  'button.noAction': ['button names no known action', '按钮指向未知操作'],
  'button.noReadOnly': ['button names no read-only command', '按钮指向的不是只读命令'],
  'button.noChange': ['button names no change that can be requested', '按钮指向的不是可申请的变更'],

  // --- typed commands -------------------------------------------------------------------------
  'notify.deadGone': ['no dead letter {key} (delivered meanwhile, or older than 7 days)', '没有死信 {key}（可能已送达或超过 7 天）'],
  'notify.deadNoCard': ['dead letter {key} has no card to post again (it failed before it was rendered)', '死信 {key} 没有可重发的卡片（渲染前即失败）'],
  'router.tooLong': ['the message is too long ({n} characters; at most {max}) — nothing was run', '消息过长（{n} 个字符，最多 {max}），未执行任何操作'],
  'parse.slash': ['commands start with "/", for example /pods', '命令以 "/" 开头，例如 /pods'],
  'parse.empty': ['type a command after "/", for example /pods', '请在 "/" 后输入命令，例如 /pods'],
  'parse.unknown': ['unknown command /{name}', '未知命令 /{name}'],
  'parse.unknownNear': ['unknown command /{name} — did you mean /{near}?', '未知命令 /{name} — 是否想输入 /{near}？'],
  'parse.helpList': ['Send /help for the list of commands.', '发送 /help 查看命令列表。'],
  'parse.quote': ['unclosed quote {quote} in the command', '命令中的引号 {quote} 没有闭合'],
  'parse.twice': ['{flag} was given twice', '{flag} 重复给出'],
  'parse.option': ['unknown option {flag} (options: {known})', '未知选项 {flag}（可用选项：{known}）'],
  'parse.optionNone': ['unknown option {flag}', '未知选项 {flag}'],
  'parse.noValue': ['{flag} takes no value', '{flag} 不接受取值'],
  'parse.needsValue': ['{flag} needs a value', '{flag} 需要一个取值'],
  'parse.extra': ['unexpected argument "{extra}"', '多余的参数 "{extra}"'],
  'parse.usage': ['usage: {usage}', '用法：{usage}'],
  'parse.field': ['{field}: {problem}', '{field}：{problem}'],
  'parse.required': ['is required', '必须提供'],
  'parse.number': ['must be a number (got "{given}")', '必须是数字（收到 "{given}"）'],
  'parse.numberPlain': ['must be a number', '必须是数字'],
  'parse.oneOf': ['must be one of {values}', '必须是以下之一：{values}'],
  'parse.min': ['must be at least {n}', '不能小于 {n}'],
  'parse.max': ['must be at most {n}', '不能大于 {n}'],
  'parse.minLen': ['must be at least {n} characters', '至少 {n} 个字符'],
  'parse.maxLen': ['must be at most {n} characters', '最多 {n} 个字符'],
  'parse.integer': ['must be a whole number', '必须是整数'],
  'parse.invalid': ['is not valid here', '取值无效'],
  'parse.unknownArg': ['unknown argument {keys}', '未知参数 {keys}'],
  'parse.got': ['{problem} (got "{given}")', '{problem}（收到 "{given}"）'],
  'arg.label63': ['must be at most 63 characters', '最多 63 个字符'],
  'arg.label': ['must be lowercase letters, digits and "-", starting and ending with a letter or digit', '只能包含小写字母、数字和 "-"，且以字母或数字开头和结尾'],
  'arg.name253': ['must be at most 253 characters', '最多 253 个字符'],
  'arg.name': ['must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit', '只能包含小写字母、数字、"-" 和 "."，且以字母或数字开头和结尾'],
  'arg.selectorLong': ['is too long', '太长'],
  'arg.selector': ['may contain only label keys, values and = != , ( ) ! in notin', '只能包含标签键、值以及 = != , ( ) ! in notin'],
  'arg.approvalId': ['is a 4-character approval id, e.g. K7QF', '应为 4 位审批编号，例如 K7QF'],
  'arg.duration': ['must be a duration like 30s, 10m or 2h', '应为时长，例如 30s、10m 或 2h'],
  'arg.target': ['is a target name from the policy, e.g. sre-alerts', '应为策略中的目标名，例如 sre-alerts'],
  'arg.whole': ['must be a whole number', '必须是整数'],
  'arg.nonNegative': ['must be 0 or more', '必须大于等于 0'],
  'arg.scaleRange': ['replicas: must be between {min} and {max} (policy limits.scale), got {n}', 'replicas：必须在 {min} 到 {max} 之间（策略 limits.scale），收到 {n}'],
  'arg.tailMax': ['tail: at most {max} lines (policy limits.logTail)', 'tail：最多 {max} 行（策略 limits.logTail）'],
  'rollback.noRevision': ['revision {revision} of deployment "{name}" not found (have: {have})', 'Deployment "{name}" 没有版本 {revision}（现有：{have}）'],
  'rollback.noEarlier': ['deployment "{name}" has no earlier revision to roll back to', 'Deployment "{name}" 没有可回滚的更早版本'],
  'rollback.already': ['deployment "{name}" is already at revision {revision}', 'Deployment "{name}" 已经是版本 {revision}'],
  'rollback.none': ['none', '无'],

  // --- Kubernetes ------------------------------------------------------------------------------
  'kube.notFound': ['{kind} "{name}" not found', '{kind} "{name}" 不存在'],
  'kube.notFoundIn': ['{kind} "{name}" not found in namespace "{ns}"', '命名空间 "{ns}" 中没有 {kind} "{name}"'],
  'kube.unauthorized': ['Kubernetes refused the credentials (401): check the kubeconfig or service account token', 'Kubernetes 拒绝了凭据（401）：请检查 kubeconfig 或 service account token'],
  'kube.forbidden': ['Kubernetes RBAC forbids this: {reason}', 'Kubernetes RBAC 禁止此操作：{reason}'],
  'kube.conflict': ['Kubernetes conflict: {reason}', 'Kubernetes 冲突：{reason}'],
  'kube.invalid': ['Kubernetes rejected the request: {reason}', 'Kubernetes 拒绝了请求：{reason}'],
  'kube.throttled': ['Kubernetes is throttling requests (429); try again in a moment', 'Kubernetes 正在限流（429），请稍后重试'],
  'kube.error': ['Kubernetes API error {code}: {reason}', 'Kubernetes API 错误 {code}：{reason}'],
  'kube.timeout': ['Kubernetes API did not answer within {s}s', 'Kubernetes API 在 {s} 秒内没有响应'],
  'kube.unreachable': ['Kubernetes API unreachable ({code})', '无法连接 Kubernetes API（{code}）'],
  'kube.failed': ['Kubernetes API call failed', 'Kubernetes API 调用失败'],
  'kube.failedBecause': ['Kubernetes API call failed: {why}', 'Kubernetes API 调用失败：{why}'],
  'kube.picked': ['pod {pod} of {name} ({n:pod|pods})', '{name} 的 Pod {pod}（共 {n} 个）'],
  'kube.cancelled': ['cancelled', '已取消'],
  'cluster.unknown': ['no cluster "{name}" (known: {known})', '没有名为 "{name}" 的集群（已配置：{known}）'],
  'cluster.field': ['Cluster', '集群'],
  'cluster.title': ['Clusters ({n})', '集群（{n} 个）'],
  'cluster.col.name': ['Name', '名称'],
  'cluster.col.label': ['Label', '说明'],
  'cluster.col.version': ['Version', '版本'],
  'cluster.col.here': ['This chat', '本群'],
  'cluster.here': ['default', '默认'],
  'cluster.down': ['unreachable: {reason}', '无法连接：{reason}'],
  'cluster.hint': ['Add `--cluster <name>` to any command to act on another cluster.', '在任意命令后加 `--cluster <名称>` 即可操作其他集群。'],
  'cluster.single': ['One cluster: {name} ({version}). Name more in the policy (`clusters`) to use `--cluster`.', '只有一个集群：{name}（{version}）。在策略文件的 `clusters` 中配置更多集群后即可使用 `--cluster`。'],
  'authz.err.cluster': ['{name} may not use /{command} on cluster {cluster} (roles: {roles})', '{name} 无权在集群 {cluster} 上使用 /{command}（角色：{roles}）'],
  'kube.noContainer': ['pod {pod} has no container "{container}" (containers: {names})', 'Pod {pod} 没有容器 "{container}"（现有容器：{names}）'],

  // --- what renderers add to a card ----------------------------------------------------------
  'card.more': ['… +{n} more', '… 另有 {n} 条'],
  'card.cut': ['… (cut to fit)', '…（内容过长，已截断）'],
  'card.undeliverable': ['The interactive card could not be delivered ({reason}): type the commands below instead of clicking.', '互动卡片发送失败（{reason}）：请直接输入下面的命令，代替按钮。'],
  'card.earlier': ['… {n} earlier lines not shown', '… 前面 {n} 行未显示'],

  // --- error cards -----------------------------------------------------------------------------
  'error.nothingToDo': ['Nothing was changed and no approval was requested.', '没有做任何变更，也没有发起审批。'],
  'error.nothingRunShort': ['Nothing was run.', '未执行任何操作。'],
  'advice.admin': ['If you need this permission, ask an admin to grant it in the opsbot policy file.', '如需此权限，请联系管理员在 opsbot 策略文件中授予。'],
  'advice.askApprover': ['Ask {who} to approve it.', '请 {who} 审批。'],
  'advice.askRole': ['Someone with role {role} has to approve it; nobody else in the policy has it.', '需由拥有角色 {role} 的人审批；策略中没有其他人拥有该角色。'],
  'error.internal': ['Internal error (ref {ref})', '内部错误（编号 {ref}）'],
  'error.internal.body': ["Details are in the bot's log under this ref.", '详情见机器人日志中的该编号。'],

  // --- router ----------------------------------------------------------------------------------
  'router.noLlm': ['Plain-language requests are not enabled', '未启用自然语言提问'],
  'router.noLlm.slash': ['Hi {name}, slash commands work: {commands} — send /help for details.', '{name} 你好，可以直接使用斜杠命令：{commands} — 发送 /help 查看详情。'],
  'router.noLlm.admin': [
    'To ask in plain Chinese or English, an admin sets **LLM_BASE_URL**, **LLM_API_KEY** and **LLM_MODEL** (any OpenAI-compatible server: DeepSeek, Qwen, GLM, Moonshot, OpenAI, vLLM, Ollama).',
    '用自然语言提问需要管理员配置 **LLM_BASE_URL**、**LLM_API_KEY** 和 **LLM_MODEL**（任何 OpenAI 兼容服务：DeepSeek、通义千问、智谱 GLM、Moonshot、OpenAI、vLLM、Ollama）。',
  ],

  // --- workflow cards --------------------------------------------------------------------------
  'workflow.noOpen': ['No open approvals in this chat', '本会话没有待处理的审批'],
  'workflow.open': ['{n} open approvals', '{n} 个待处理的审批'],
  'workflow.open.one': ['1 open approval', '1 个待处理的审批'],
  'workflow.col.id': ['Id', '编号'],
  'workflow.col.change': ['Change', '变更'],
  'workflow.col.by': ['By', '申请人'],
  'workflow.col.waiting': ['Waiting for', '等待'],
  'workflow.col.expires': ['Expires', '过期'],
  'workflow.executing': ['executing', '执行中'],
  'workflow.in': ['in {left}', '剩 {left}'],
  'workflow.footer': ['/approve <id> · /reject <id> <reason>', '/approve <编号> · /reject <编号> <原因>'],
  'workflow.auditEmpty': ['Audit log is empty', '审计日志为空'],
  'workflow.audit': ['Audit · last {n} entries', '审计 · 最近 {n} 条'],
  'workflow.audit.one': ['Audit · last 1 entry', '审计 · 最近 1 条'],
  'workflow.col.time': ['Time', '时间'],
  'workflow.col.who': ['Who', '操作人'],
  'workflow.col.what': ['What', '操作'],
  'workflow.col.result': ['Result', '结果'],
  'workflow.auditFooter': ['full log: npm run audit -- --since 24h', '完整日志：npm run audit -- --since 24h'],

  // --- help ------------------------------------------------------------------------------------
  'help.title': ['opsbot commands', 'opsbot 命令'],
  'help.reads': ['Read-only', '只读'],
  'help.writes': ['Changes (need approval)', '变更（需审批）'],
  'help.footer': ['/help <command> for options · you are {name} ({roles}) · namespaces: {namespaces}', '/help <命令> 查看用法 · 你是 {name}（{roles}）· 命名空间：{namespaces}'],
  'help.unknown': ['unknown command /{name}', '未知命令 /{name}'],
  'help.unknown.hint': ['Send /help for the list of commands.', '发送 /help 查看命令列表。'],
  'help.mutating': ['Changes the cluster: needs approval (risk {risk})', '会变更集群：需要审批（风险 {risk}）'],
  'help.readOnly': ['Read-only', '只读'],

  // --- notify ----------------------------------------------------------------------------------
  'notify.test.title': ['🔔 opsbot test notification', '🔔 opsbot 测试通知'],
  'notify.test.body': ['Sent by **{name}** with `/notify-test {target}` at {at}. Alerts and reports for **{target}** arrive here.', '由 **{name}** 于 {at} 通过 `/notify-test {target}` 发送。**{target}** 的告警与报告将发送到此群。'],
  'notify.ok': ['Test card posted to {target}', '测试卡片已发送到 {target}'],
  'notify.failed': ['Could not post to {target}', '无法发送到 {target}'],
  'notify.target': ['Target', '目标'],
  'notify.took': ['Took', '耗时'],
  'notify.reason': ['Reason', '原因'],
  'notify.deadLetter': ['Recorded as a dead letter in the audit log (`/audit`).', '已作为死信记录在审计日志中（`/audit`）。'],
  'notify.unknown': ['no notify target "{name}" (policy notify.targets has: {names})', '没有通知目标 "{name}"（策略 notify.targets 中有：{names}）'],
  'notify.off': ['{platform} is not running in this bot (not configured, or not in this build)', '{platform} 未在本机器人中运行（未配置，或不在此版本中）'],
  'notify.none': ['no notify target "{name}": the policy has no notify.targets yet', '没有通知目标 "{name}"：策略中还没有 notify.targets'],
  'notify.hint': ['add it under notify.targets: { platform: <platform id>, chat: <chat id or robot name> }', '在 notify.targets 下添加：{ platform: <平台>, chat: <会话 id 或机器人名> }'],
  // --- command output (kubectl column and field names stay as they are) ---------------------------
  'out.ago': ['{age} ago', '{age}前'],
  'out.allHealthy': ['all healthy', '全部健康'],
  'out.allReady': ['all ready', '全部就绪'],
  'out.notReady': ['{n} not ready', '{n} 个未就绪'],
  'out.namespaces': ['{n:namespace|namespaces}', '{n} 个命名空间'],
  'out.namespacesFooter': ['namespaces: {list}', '命名空间：{list}'],
  'out.btn.logs': ['Logs {name}', '日志 {name}'],
  'out.btn.describe': ['Describe {name}', '详情 {name}'],
  'out.btn.events': ['Events', '事件'],
  'out.btn.pods': ['Pods {ns}', 'Pod 列表 {ns}'],
  'out.btn.warnings': ['Warnings {ns}', '告警事件 {ns}'],
  'pods.none': ['{where} · no pods', '{where} · 没有 Pod'],
  'pods.none.in': ['No pods match in namespace **{ns}**.', '命名空间 **{ns}** 中没有匹配的 Pod。'],
  'pods.none.mine': ['No pods match in your namespaces.', '你可见的命名空间中没有匹配的 Pod。'],
  'pods.title': ['{where} · {n:pod|pods}', '{where} · {n} 个 Pod'],
  'pods.attention': ['{n:needs|need} attention', '{n} 个需要关注'],
  'welcome.title': ['👋 Welcome to the opsbot console', '👋 欢迎使用 opsbot 控制台'],
  'welcome.you': ['You are chatting as **{name}** ({roles}); switch person at the top right.', '你当前的身份是 **{name}**（{roles}），可在右上角切换身份。'],
  'welcome.pick': ['Pick who you are at the top right.', '请先在右上角选择你的身份。'],
  'welcome.try': ['Try these (click one to put it in the box):', '试试这些命令（点击即可填入输入框）：'],
  'welcome.status': ['the cluster at a glance', '集群概况'],
  'welcome.pods': ['pods, problems first', 'Pod 列表，异常优先'],
  'welcome.scale': ['a change: it becomes an approval card; switch to **{approver}** and click Approve', '变更：会生成审批卡片；切换为 **{approver}** 后点击「批准」'],
  'welcome.scaleNoApprover': ['a change: it becomes an approval card for an approver', '变更：会生成审批卡片，等待审批人处理'],
  'welcome.llm': ['or ask in plain words', '也可以直接用自然语言提问'],
  'welcome.help': ['every command', '全部命令'],
  'welcome.footer': ['This room is shared by everyone on this console, like a team group chat.', '这个会话由本控制台的所有人共享，就像团队群聊。'],
  'pods.hidden': ['🔒 Not shown: {list} — {n:pod|pods} in namespaces your roles may not see (policy)', '🔒 未显示：{list} — {n} 个 Pod 位于你的角色无权查看的命名空间（策略）'],
  'pods.healthy': ['✅ {n} Running · oldest {oldest} · newest {newest}', '✅ {n} 个 Running · 最早 {oldest} · 最新 {newest}'],
  'status.title': ['Cluster status · {n:problem|problems}', '集群状态 · {n} 个问题'],
  'status.healthy': ['Cluster status · all healthy', '集群状态 · 全部健康'],
  'status.cluster': ['Cluster', '集群'],
  'status.nodes': ['Nodes', '节点'],
  'status.warnings': ['Warnings (1h)', '告警事件（1 小时）'],
  'status.nodesReady': ['{ready}/{total} ready', '{ready}/{total} 就绪'],
  'status.pods': ['{running} running · {pending} pending · {failing} failing', '{running} 运行中 · {pending} 等待中 · {failing} 异常'],
  'status.deployments': ['{ready} ready · {degraded} degraded', '{ready} 就绪 · {degraded} 降级'],
  'status.failing': ['❌ **{pod}** {status}, restarts {n}', '❌ **{pod}** {status}，重启 {n} 次'],
  'status.lastRestart': [', last {age} ago', '，最近一次在 {age}前'],
  'status.degraded': ['⚠️ deploy **{name}** {ready}/{want} ready', '⚠️ deploy **{name}** {ready}/{want} 就绪'],
  'deploys.none': ['{ns} · no deployments', '{ns} · 没有 Deployment'],
  'deploys.none.body': ['No deployments in **{ns}**.', '**{ns}** 中没有 Deployment。'],
  'deploys.title': ['{ns} · {n:deployment|deployments} · {state}', '{ns} · {n} 个 Deployment · {state}'],
  'events.none': ['{ns} · no events', '{ns} · 没有事件'],
  'events.none.body': ['No events in **{ns}** (events are kept about an hour).', '**{ns}** 中没有事件（事件约保留一小时）。'],
  'events.noWarnings': ['{ns} · no warnings', '{ns} · 没有告警事件'],
  'events.noWarnings.body': ['No warnings in **{ns}** (events are kept about an hour).', '**{ns}** 中没有告警事件（事件约保留一小时）。'],
  'events.title': ['{ns} · {n:event|events} · {w:warning|warnings}', '{ns} · {n} 条事件 · {w} 条告警'],
  'events.warningsTitle': ['{ns} · {n:warning|warnings}', '{ns} · {n} 条告警'],
  'nodes.title': ['{n:node|nodes} · {state}', '{n} 个节点 · {state}'],
  'describe.restarts': ['{n} (last {age} ago{reason})', '{n}（最近一次在 {age}前{reason}）'],
  'describe.unscheduled': ['(not scheduled)', '（未调度）'],
  'scale.same': ['{target} already has {n} replicas — nothing to do', '{target} 已经是 {n} 个副本，无需变更'],
  'restart.rolling': ['{target} is already rolling out ({updated}/{want} pods updated) — every pod is being replaced; nothing to do', '{target} 正在滚动更新（{updated}/{want} 个 Pod 已更新），所有 Pod 都会被替换，无需再重启'],
  'describe.which': ['"{name}" in {ns} is both a pod and a deployment: which one?', '{ns} 里的 "{name}" 既是 Pod 也是 Deployment：要看哪一个？'],
  'describe.whichHint': ['/describe pod {name} or /describe deploy {name}', '/describe pod {name} 或 /describe deploy {name}'],
  'describe.neither': ['no pod or deployment called "{name}" in {ns}', '{ns} 里没有叫 "{name}" 的 Pod 或 Deployment'],
  'describe.noEvents': ['No recent events.', '最近没有事件。'],
  'describe.replicas': ['{want} desired · {updated} updated · {ready} ready · {available} available', '期望 {want} · 已更新 {updated} · 就绪 {ready} · 可用 {available}'],
  'describe.deployTitle': ['Deployment {name} · {ready}/{want} ready', 'Deployment {name} · {ready}/{want} 就绪'],
  'logs.title': ['Logs · {pod}', '日志 · {pod}'],
  'logs.previous': ['previous', '上一个容器'],
  'logs.noneSince': ['No log lines in the last {d}.', '最近 {d} 内没有日志。'],
  'logs.empty': ['The log is empty.', '日志为空。'],
  'logs.cut': ['showing the last {shown} of {n:line|lines} fetched (card size limit)', '显示获取到的 {n} 行中的最后 {shown} 行（卡片大小限制）'],
  'logs.last': ['last {n:line|lines}', '最后 {n} 行'],
  'logs.since': ['since {since}', '自 {since} 起'],
  'logs.restarted': ['restarted {n}× · --previous shows the crashed container', '已重启 {n} 次 · --previous 查看崩溃前的容器'],
  'logs.errors': ['⚠️ {n:error line|error lines} in this window', '⚠️ 此时间段内有 {n} 行错误'],
  'deletePod.done': ['Done · deleted pod {pod}', '已完成 · 已删除 Pod {pod}'],
  'deletePod.body': ['Pod {pod} is terminating. /pods -n {ns} shows its replacement.', 'Pod {pod} 正在终止。/pods -n {ns} 可查看替代它的新 Pod。'],
  'rollout.scaled': ['scaled {target} {from} → {to}', '已将 {target} 从 {from} 扩缩到 {to} 个副本'],
  'rollout.restarted': ['restarted {target}', '已重启 {target}'],
  'rollout.rolledBack': ['rolled back {target} {change}', '已回滚 {target} {change}'],
  'rollout.done': ['Done · {what}', '已完成 · {what}'],
  'rollout.done.body': ['{what} — {ready}/{want} ready in {secs} s', '{what} — {secs} 秒内 {ready}/{want} 就绪'],
  'rollout.unsettled': ['Applied, not settled · {what}', '已应用，尚未稳定 · {what}'],
  'rollout.unsettled.body': [
    '{what} — after {secs} s: {ready}/{want} ready, {updated}/{want} updated. The change was applied; the rollout has not finished yet. Check /pods and /events.',
    '{what} — {secs} 秒后：{ready}/{want} 就绪，{updated}/{want} 已更新。变更已应用，滚动更新尚未完成。请查看 /pods 和 /events。',
  ],
  'reset.done': ['Conversation forgotten', '已清除对话记忆'],
  'reset.nothing': ['Nothing to forget', '没有对话记忆'],
  // --- argument descriptions (schemas keep the English, which the LLM reads; /help shows these) ---
  'argdoc.command': ['A command to explain', '要查看用法的命令'],
  'argdoc.notifyTarget': ['A name under notify.targets in the policy', '策略 notify.targets 中的目标名'],
  'argdoc.allNs': ['All namespaces you may see', '你可见的所有命名空间'],
  'argdoc.approvalId': ['Approval id from the card, e.g. K7QF', '卡片上的审批编号，例如 K7QF'],
  'argdoc.container': ['Container (default: the main one)', '容器（默认：主容器）'],
  'argdoc.deployment': ['Deployment name', 'Deployment 名称'],
  'argdoc.deploymentEg': ['Deployment name, e.g. api-gateway', 'Deployment 名称，例如 api-gateway'],
  'argdoc.replicas': ['Desired replica count', '期望的副本数'],
  'argdoc.exactPod': ['Exact pod name', '完整的 Pod 名称'],
  'argdoc.auditLimit': ['How many entries (default 15, at most 50)', '条数（默认 15，最多 50）'],
  'argdoc.tail': ['How many lines (default 50)', '行数（默认 50）'],
  'argdoc.selector': ['Label selector, e.g. app=api-gateway', '标签选择器，例如 app=api-gateway'],
  'argdoc.podOrDeploy': ['Name of the pod or deployment', 'Pod 或 Deployment 的名称'],
  'argdoc.namespace': ['Namespace', '命名空间'],
  'argdoc.namespaceDefault': ['Namespace (default: the policy default)', '命名空间（默认：策略中的默认值）'],
  'argdoc.since': ['Only lines newer than this, e.g. 10m', '只看这段时间内的日志，例如 10m'],
  'argdoc.warnings': ['Only warnings', '只看告警事件'],
  'argdoc.pod': ['Pod name, or a deployment name to pick one of its pods', 'Pod 名称，或 Deployment 名称（自动选其中一个 Pod）'],
  'argdoc.revision': ['Revision to return to (default: the previous one)', '回滚到的版本（默认：上一版本）'],
  'argdoc.previous': ['The log of the previous (crashed) container', '上一个（崩溃的）容器的日志'],
  'argdoc.reason': ['Why (shown on the card)', '原因（显示在卡片上）'],
  'argdoc.kind': ['pod or deploy; left out, inferred from the name', 'pod 或 deploy；省略时按名称推断'],
  // --- alerts -------------------------------------------------------------------------------------
  'alert.unnamed': ['alert', '告警'],
  'alert.firing': ['firing', '告警中'],
  'alert.resolved': ['resolved', '已恢复'],
  'alert.started': ['Started', '开始'],
  'alert.count': ['Alerts', '告警数'],
  'alert.countValue': ['{firing} firing of {total}', '{total} 条中 {firing} 条告警中'],
  'alert.namespace': ['Namespace', '命名空间'],
  'alert.workload': ['Workload', '工作负载'],
  'alert.duration': ['Lasted', '持续'],
  'alert.acked': ['Acked by', '已认领'],
  'alert.escalated': ['Escalated to', '已升级至'],
  'alert.runbook': ['Runbook', '处理手册'],
  'alert.dashboard': ['Dashboard', '监控面板'],
  'alert.labels': ['Labels', '标签'],
  'alert.summary': ['Summary', '摘要'],
  'alert.footer': ['alert {id} · {receiver}', '告警 {id} · {receiver}'],
  'alert.btn.ack': ['Ack', '认领'],
  'oncall.none': ['Nobody is on call (policy alerts.oncall / alerts.rotation)', '没有值班人（策略 alerts.oncall / alerts.rotation）'],
  'oncall.title': ['On call: {name}', '当前值班：{name}'],
  'oncall.now': ['Now', '当前'],
  'oncall.next': ['Next', '下一位'],
  'oncall.handoff': ['{name} from {at}', '{name}，{at} 交接'],
  'investigate.title': ['Investigate · {target}', '排查 · {target}'],
  'investigate.noWarnings': ['No recent warnings about it.', '最近没有与它相关的告警事件。'],
  'investigate.previous': ['log lines of the crashed container (--previous)', '崩溃前容器的日志（--previous）'],
  'investigate.current': ['last log lines', '最近日志'],
  'investigate.guess': ["🤖 **The model's guess — not verified** ({s} s)", '🤖 **模型推测（未经核实）**（{s} 秒）'],
  'investigate.basedOn': ['Based on:', '依据：'],
  'investigate.citedNone': ['(it cited none of the lines above)', '（未引用上面的任何一行）'],
  'investigate.noGuess': ['🤖 No diagnosis: {reason}', '🤖 未能生成推测：{reason}'],
  'alert.btn.investigate': ['Investigate', '排查'],
  'alerts.none': ['No alerts firing', '没有正在告警的告警'],
  'alerts.title': ['{n:alert group|alert groups} firing', '{n} 个告警组正在告警'],
  'alert.btn.silence': ['Silence 1h', '静默 1 小时'],
  'silence.off': ['Alertmanager is not configured (set ALERTMANAGER_URL)', '未配置 Alertmanager（请设置 ALERTMANAGER_URL）'],
  'silence.preview': ['silence {matchers} for {d}', '静默 {matchers}，持续 {d}'],
  'silence.done': ['Silenced {matchers} until {until}', '已静默 {matchers}，直到 {until}'],
  'silence.doneBody': ['Silence {id} in Alertmanager. /unsilence {id} ends it early.', 'Alertmanager 静默 {id}。/unsilence {id} 可提前结束。'],
  'silence.list': ['{n:silence|silences} in Alertmanager', 'Alertmanager 中有 {n} 个静默'],
  'silence.none': ['No active silences', '没有生效的静默'],
  'silence.expired': ['Silence {id} expired', '静默 {id} 已结束'],
  'silence.matcher': ['not a matcher: {m} (use name="value", name!="value", name=~"regex" or name!~"regex")', '不是有效的匹配条件：{m}（用 name="value"、name!="value"、name=~"regex" 或 name!~"regex"）'],
  'silence.unknown': ['no silence {id} in Alertmanager', 'Alertmanager 中没有静默 {id}'],
  'argdoc.matchers': ['Label matchers, e.g. alertname="KubePodCrashLooping" namespace="production"', '标签匹配条件，例如 alertname="KubePodCrashLooping" namespace="production"'],
  'argdoc.silenceFor': ['How long, e.g. 1h (at most 7d)', '持续多久，例如 1h（最多 7d）'],
  'argdoc.comment': ['Why (shown in Alertmanager)', '原因（显示在 Alertmanager 中）'],
  'argdoc.silenceId': ['Silence id (from /silences)', '静默编号（见 /silences）'],
  'alert.acked.toast': ['Acked by {name}', '{name} 已认领'],
  'alert.err.gone': ['alert {id} is no longer tracked', '告警 {id} 已不再跟踪'],
  'alert.err.resolved': ['alert {id} is resolved already', '告警 {id} 已恢复'],
  'alert.err.acked': ['alert {id} was acked by {name} at {at}', '告警 {id} 已由 {name} 于 {at} 认领'],
  'alert.err.token': ['missing or wrong bearer token (ALERTMANAGER_WEBHOOK_TOKEN)', 'bearer token 缺失或错误（ALERTMANAGER_WEBHOOK_TOKEN）'],
} as const satisfies Record<string, readonly [string, string]>;

export type MessageKey = keyof typeof CATALOGUE;
/** Placeholder values; a Text value (a message within a message) is filled in the same language. */
export type Params = Readonly<Record<string, string | number | Text>>;

/**
 * Fills `{name}` placeholders; `{n:one|many}` is a count with its word (English: "1 pod", "3 pods";
 * Chinese templates write `{n} 个 Pod`, there is no plural).
 */
function fill(template: string, params: Params | undefined, lang: Lang): string {
  if (!params) return template;
  return template.replace(/\{(\w+)(?::([^|}]*)\|([^}]*))?\}/g, (m, k: string, one?: string, many?: string) => {
    if (!Object.hasOwn(params, k)) return m;
    const v = params[k] as string | number | Text;
    if (one !== undefined) {
      const n = Number(typeof v === 'object' ? v[lang] : v);
      return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
    }
    return typeof v === 'object' ? v[lang] : String(v);
  });
}

/** The message in both languages, placeholders filled. */
export function msg(key: MessageKey, params?: Params): Text {
  const [en, zh] = CATALOGUE[key];
  return { en: fill(en, params, 'en'), zh: fill(zh, params, 'zh') };
}

/** The message in one language. */
export function t(lang: Lang, key: MessageKey, params?: Params): string {
  return fill(CATALOGUE[key][lang === 'zh' ? 1 : 0], params, lang);
}

/** The same words in both languages (a name, a reason that has no translation). */
export function same(s: string): Text {
  return { en: s, zh: s };
}

/** A Text or plain string (Kubernetes reasons, parser errors: English only) in one language. */
export function pick(text: Text | string, lang: Lang): string {
  return typeof text === 'string' ? text : text[lang];
}

const BY_ENGLISH = new Map<string, MessageKey>(Object.entries(CATALOGUE).map(([k, [en]]) => [en, k as MessageKey]));

/**
 * A schema's message (zod issues carry the English text the schema was written with) in both languages,
 * when the catalogue has it; else as it is.
 */
export function known(en: string): Text | string {
  const key = BY_ENGLISH.get(en);
  return key && !en.includes('{') ? msg(key) : en;
}

/** Every key, for the catalogue's own test (both languages present, same placeholders). */
export function catalogueEntries(): [MessageKey, string, string][] {
  return Object.entries(CATALOGUE).map(([k, [en, zh]]) => [k as MessageKey, en, zh]);
}
