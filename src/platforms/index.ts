import type { PlatformDefinition } from '../core/platform.js';
import { dingtalkBot } from './dingtalk/bot.js';
import { dingtalk } from './dingtalk/index.js';
import { feishuBot } from './feishu/bot.js';
import { feishu } from './feishu/index.js';
import { wecomBot } from './wecom/bot.js';
import { wecom } from './wecom/index.js';

/**
 * The chat platforms this build knows: the one list that changes when a platform is added. The
 * console is not here: it is the built-in demo and scripting platform, always present.
 */
export const PLATFORMS: readonly PlatformDefinition[] = [feishu as PlatformDefinition, feishuBot as PlatformDefinition, dingtalk as PlatformDefinition, dingtalkBot as PlatformDefinition, wecom as PlatformDefinition, wecomBot as PlatformDefinition];

/** Platform ids a person's `ids` in the policy may use. */
export function platformIds(platforms: readonly PlatformDefinition[] = PLATFORMS): string[] {
  return ['console', ...platforms.map((p) => p.id)];
}
