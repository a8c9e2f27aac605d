/**
 * The prompts of @inquirer/prompts, loaded on the first question: most runs never ask one,
 * and the package costs a tenth of a second of every start.
 */
import type * as Inquirer from '@inquirer/prompts';

type Prompts = typeof Inquirer;

let loaded: Promise<Prompts> | undefined;
const prompts = (): Promise<Prompts> => (loaded ??= import('@inquirer/prompts'));

export async function input(...args: Parameters<Prompts['input']>): Promise<string> {
  return (await prompts()).input(...args);
}

export async function password(...args: Parameters<Prompts['password']>): Promise<string> {
  return (await prompts()).password(...args);
}

export async function confirm(...args: Parameters<Prompts['confirm']>): Promise<boolean> {
  return (await prompts()).confirm(...args);
}

export async function select<Value>(...args: Parameters<typeof Inquirer.select<Value>>): Promise<Value> {
  return (await prompts()).select<Value>(...args);
}
