/** The suggested first models live in src/shared, since the empty chat lists them too. */
export { SUGGESTED_MODELS, type SuggestedModel } from '../../shared/suggestedModels';
