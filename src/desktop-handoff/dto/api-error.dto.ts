export { ApiErrorDto } from '../../common/api-error.dto.js';
