% SPDX-License-Identifier: MIT
function dump_sol(out, path, k, tq)
% DUMP_SOL  tests/loaders: write what ivpread/ivpval return to a text file that
% test_octave.py parses. K = 0 reads PATH as a single run (or, for an ensemble, as the
% struct array of all members: only their count is written); TQ: times for ivpval ([] none).
% Lines: "N name rows cols v1 v2 ..." (column-major, %.17g) and "S name text". An error in
% ivpread or ivpval is written as "S error <message>".
  fid = fopen(out, 'w');
  cleanup = onCleanup(@() fclose(fid));
  lastwarn('');
  try
    if k > 0
      sol = ivpread(path, k);
    else
      sol = ivpread(path);
    end
    if numel(sol) ~= 1
      num(fid, 'n_members', numel(sol));
      for j = 1:numel(sol)
        num(fid, sprintf('member_%d_x', j), sol(j).x);
      end
      return;
    end
    num(fid, 'x', sol.x);
    num(fid, 'y', sol.y);
    num(fid, 'xe', sol.xe);
    num(fid, 'ye', sol.ye);
    num(fid, 'ie', sol.ie);
    num(fid, 'status', sol.status);
    num(fid, 'success', double(sol.success));
    num(fid, 'event_order_known', double(sol.event_order_known));
    str(fid, 'message', sol.message);
    str(fid, 'solver', sol.solver);
    str(fid, 'event_names', strjoin(sol.event_names, ','));
    str(fid, 'names', strjoin(sol.names, ','));
    fn = fieldnames(sol.stats);
    for i = 1:numel(fn)
      num(fid, ['stats.' fn{i}], sol.stats.(fn{i}));
    end
    fn = fieldnames(sol.params);
    for i = 1:numel(fn)
      num(fid, ['params.' fn{i}], sol.params.(fn{i}));
    end
    num(fid, 'y0', sol.y0);
    num(fid, 't_span', sol.t_span);
    if isfield(sol, 'member')
      num(fid, 'member', sol.member);
    end
    if ~isempty(sol.pp)
      num(fid, 'pp_breaks', sol.pp.breaks);
    end
    if ~isempty(tq)
      num(fid, 'val', ivpval(sol, tq));
      num(fid, 'val_scalar', ivpval(sol, tq(1)));
    end
  catch err
    str(fid, 'error', err.message);
  end
  str(fid, 'lastwarn', lastwarn());
end

function num(fid, name, v)
  v = double(v);
  fprintf(fid, 'N %s %d %d', name, size(v, 1), size(v, 2));
  fprintf(fid, ' %.17g', v(:));
  fprintf(fid, '\n');
end

function str(fid, name, s)
  s = strrep(char(s), sprintf('\n'), ' ');
  fprintf(fid, 'S %s %s\n', name, s);
end
