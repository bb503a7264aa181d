% SPDX-License-Identifier: MIT
function y = ivpval(sol, t)
%IVPVAL  Evaluate the dense output of an ivp result read by IVPREAD, like deval.
%   Y = IVPVAL(SOL, T) returns the states at the times T: an n-by-numel(T) matrix (n-by-1
%   for a scalar T), for forward and backward solves alike. Outside the solved interval the
%   first or last piece is extended. SOL must come from a run with "dense_output": true.
  if nargin ~= 2
    error('ivpval: usage: y = ivpval(sol, t)');
  end
  if ~isstruct(sol) || ~isfield(sol, 'pp') || numel(sol) ~= 1
    error('ivpval: SOL must be one struct returned by ivpread (for an ensemble: ivpread(path, k))');
  end
  if isempty(sol.pp)
    error('ivpval: the file has no dense output (/dense): run ivp with "dense_output": true');
  end
  y = ppval(sol.pp, reshape(t, 1, []));
  y = reshape(y, sol.pp.dim, numel(t));
end
